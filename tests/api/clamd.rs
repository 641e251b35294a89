//! A real clamd (Debian's `clamav-daemon`) for the tests, on 127.0.0.1, with a signature
//! database written here: nothing is downloaded. Its absence is a failure, never a skip
//! (`scripts/test.sh` installs it).

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The EICAR test file: harmless, and what every scanner is tested with.
pub const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// A byte string our own body signature (`.ndb`) matches wherever it sits in a file.
pub const MARKER: &[u8] = b"HELPDESK-TEST-SIGNATURE-THAT-STRADDLES-TWO-INSTREAM-CHUNKS";

/// A PDF (for the content check) with `MARKER` across the 64 KiB boundary of the desk's
/// `INSTREAM` chunks: a file split in two chunks is still one stream to clamd.
pub fn pdf_with_marker_across_chunks() -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\n%".to_vec();
    pdf.resize(64 * 1024 - MARKER.len() / 2, b'A');
    pdf.extend_from_slice(MARKER);
    pdf.extend_from_slice(b"\ntrailer<<>>\n%%EOF\n");
    pdf
}

pub struct Clamd {
    child: Option<Child>,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Clamd {
    /// `HELPDESK_CLAMD` for this daemon.
    pub fn address(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// Starts clamd and waits until it answers PING.
    pub fn start() -> Clamd {
        let clamd = which("clamd");
        let sigtool = which("sigtool");
        let dir = tempfile::tempdir().expect("a temp dir");
        let db = dir.path().join("db");
        std::fs::create_dir(&db).unwrap();
        let eicar = dir.path().join("eicar.com");
        std::fs::write(&eicar, EICAR).unwrap();
        // `sigtool --md5` of the EICAR file: a hash signature (`.hdb`) of the whole file.
        let out = Command::new(&sigtool).arg("--md5").arg(&eicar).output().expect("sigtool runs");
        assert!(out.status.success(), "sigtool --md5: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::write(db.join("test.hdb"), &out.stdout).unwrap();
        // A body signature (`.ndb`): the marker anywhere in any file.
        std::fs::write(db.join("test.ndb"), format!("Helpdesk.Test.Straddle:0:*:{}\n", hex(MARKER))).unwrap();
        let port = crate::helpers::free_port();
        let conf = dir.path().join("clamd.conf");
        let mut file = std::fs::File::create(&conf).unwrap();
        write!(
            file,
            "TCPSocket {port}\nTCPAddr 127.0.0.1\nDatabaseDirectory {}\nForeground yes\nLogFile {}\nPidFile {}\n",
            db.display(),
            dir.path().join("clamd.log").display(),
            dir.path().join("clamd.pid").display()
        )
        .unwrap();
        drop(file);
        let child = Command::new(&clamd)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{clamd} does not start: {e}"));
        let mut daemon = Clamd { child: Some(child), port, _dir: dir };
        let client = helpdesk::files::Clamd::new(daemon.address().parse().unwrap(), Duration::from_secs(5));
        let deadline = Instant::now() + Duration::from_secs(60);
        while client.ping().is_err() {
            if let Some(Ok(Some(status))) = daemon.child.as_mut().map(Child::try_wait) {
                let log = std::fs::read_to_string(daemon._dir.path().join("clamd.log")).unwrap_or_default();
                panic!("clamd exited ({status}): {log}");
            }
            assert!(Instant::now() < deadline, "clamd did not answer PING within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        daemon
    }

    /// Stops the daemon (what an outage looks like to the desk).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The program's path; a clear failure when it is missing.
fn which(program: &str) -> String {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let path = format!("{dir}/{program}");
        if std::path::Path::new(&path).exists() {
            return path;
        }
    }
    panic!("{program} is missing: the virus-scanning tests need Debian's clamav-daemon (scripts/test.sh installs it)");
}

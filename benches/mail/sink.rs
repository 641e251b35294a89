//! The bench's own SMTP server: what scripts/smtp-sink.py does (accept every message, write it
//! with its envelope recipients in an `X-Envelope-To` header as one `.eml` file per message,
//! renamed into place once written), without Python's cost per mail. The Python sink takes
//! ~1 ms of CPU per mail on this machine and cannot take the ~2,000 mails/s that the lag
//! target needs; this one is not what the bench measures.
//!
//! It runs as its own process, the bench binary started again with `HELPDESK_BENCH_SINK_DIR`
//! set (see `run_if_asked`), so that its CPU is counted apart from the bench's and it is killed
//! like the Python sink. One tokio thread, like aiosmtpd's one event loop.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Set (to the folder for the mails) in the environment of the sink's process.
pub const DIR_VAR: &str = "HELPDESK_BENCH_SINK_DIR";
pub const PORT_VAR: &str = "HELPDESK_BENCH_SINK_PORT";

/// In the sink's process: serves until killed, and never returns. Elsewhere: nothing.
pub fn run_if_asked() -> Result<()> {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return Ok(());
    };
    let port: u16 = std::env::var(PORT_VAR).context(PORT_VAR)?.parse().context(PORT_VAR)?;
    // The bench holds our stdin open: at its end, however it ends, so do we.
    std::thread::spawn(|| {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        std::process::exit(0);
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(serve(PathBuf::from(dir), port))?;
    std::process::exit(0);
}

async fn serve(dir: PathBuf, port: u16) -> Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.with_context(|| format!("binding 127.0.0.1:{port}"))?;
    println!("ready {port}");
    let dir = Arc::new(dir);
    let counter = Arc::new(AtomicU64::new(0));
    loop {
        let (socket, _) = listener.accept().await?;
        let (dir, counter) = (dir.clone(), counter.clone());
        tokio::spawn(async move {
            if let Err(e) = session(socket, &dir, &counter).await {
                eprintln!("sink: {e:#}");
            }
        });
    }
}

/// One SMTP session: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
async fn session(socket: TcpStream, dir: &Path, counter: &AtomicU64) -> Result<()> {
    // As asyncio does for aiosmtpd: answers leave at once.
    socket.set_nodelay(true)?;
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 bench-sink ESMTP\r\n").await?;
    let (mut line, mut rcpts) = (Vec::new(), Vec::<String>::new());
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let verb = text.get(..4).unwrap_or_default().to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => b"250-bench-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n",
            "HELO" | "NOOP" | "MAIL" => b"250 OK\r\n",
            "RSET" => {
                rcpts.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                let address = text.split_once(':').map_or("", |(_, a)| a).trim().trim_start_matches('<');
                rcpts.push(address.split('>').next().unwrap_or_default().to_owned());
                b"250 OK\r\n"
            }
            "DATA" => {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let mut mail = format!("X-Envelope-To: {}\r\n", rcpts.join(", ")).into_bytes();
                loop {
                    line.clear();
                    if read.read_until(b'\n', &mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    // Dot-stuffing undone.
                    let start = usize::from(line.starts_with(b".."));
                    mail.extend_from_slice(&line[start..]);
                }
                rcpts.clear();
                store(dir, counter.fetch_add(1, Ordering::Relaxed), &mail)?;
                b"250 OK\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 Command not implemented\r\n",
        };
        write.write_all(answer).await?;
    }
}

/// Written, then renamed: readers never see half a mail (as smtp-sink.py does).
fn store(dir: &Path, n: u64, mail: &[u8]) -> Result<()> {
    let tmp = dir.join(format!("{n:08}.eml.tmp"));
    std::fs::write(&tmp, mail).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join(format!("{n:08}.eml")))?;
    Ok(())
}

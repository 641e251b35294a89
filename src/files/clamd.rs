//! A small client of clamd's `INSTREAM` command (ClamAV's daemon), over a unix socket or TCP.
//!
//! The protocol: `zINSTREAM\0`, then the bytes as chunks each preceded by its length (4 bytes,
//! network order), then a zero-length chunk; clamd answers one NUL-terminated line:
//! `stream: OK`, `stream: <signature> FOUND`, or `... ERROR` (e.g. `INSTREAM size limit
//! exceeded`). clamd scans the reassembled stream, so a signature split across two chunks is
//! found all the same (tested). Every socket operation has a timeout: a clamd that hangs holds
//! an upload for `timeout`, never a thread for ever.

use std::io::{Read, Write};
use std::time::Duration;

use crate::config::ClamdAddress;

/// Bytes per `INSTREAM` chunk (clamd's default `StreamMaxLength` is 25 MiB in all).
const CHUNK: usize = 64 * 1024;
/// The longest answer we read (a signature name is far shorter).
const MAX_REPLY: usize = 4096;

/// What clamd said about the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// The name of the signature that matched.
    Infected(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// clamd could not be reached or did not answer in time.
    #[error("clamd at {address} unreachable: {source}")]
    Unreachable { address: String, source: std::io::Error },
    /// clamd answered but did not scan (size limit, its own error, a reply we do not know).
    #[error("clamd did not scan the file: {0}")]
    Failed(String),
}

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

#[derive(Debug, Clone)]
pub struct Clamd {
    address: ClamdAddress,
    timeout: Duration,
}

impl Clamd {
    pub fn new(address: ClamdAddress, timeout: Duration) -> Self {
        Self { address, timeout: timeout.max(Duration::from_millis(100)) }
    }

    pub fn address(&self) -> &ClamdAddress {
        &self.address
    }

    fn connect(&self) -> std::io::Result<Box<dyn Stream>> {
        match &self.address {
            ClamdAddress::Unix(path) => {
                let stream = std::os::unix::net::UnixStream::connect(path)?;
                stream.set_read_timeout(Some(self.timeout))?;
                stream.set_write_timeout(Some(self.timeout))?;
                Ok(Box::new(stream))
            }
            ClamdAddress::Tcp(host) => {
                let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, format!("{host} resolves to no address"));
                for addr in std::net::ToSocketAddrs::to_socket_addrs(host)? {
                    match std::net::TcpStream::connect_timeout(&addr, self.timeout) {
                        Ok(stream) => {
                            stream.set_read_timeout(Some(self.timeout))?;
                            stream.set_write_timeout(Some(self.timeout))?;
                            stream.set_nodelay(true)?;
                            return Ok(Box::new(stream));
                        }
                        Err(e) => last = e,
                    }
                }
                Err(last)
            }
        }
    }

    fn unreachable(&self, source: std::io::Error) -> ScanError {
        ScanError::Unreachable { address: self.address.to_string(), source }
    }

    /// `PING` → `PONG`: clamd is up and answering.
    pub fn ping(&self) -> Result<(), ScanError> {
        let mut stream = self.connect().map_err(|e| self.unreachable(e))?;
        stream.write_all(b"zPING\0").map_err(|e| self.unreachable(e))?;
        let reply = read_reply(&mut stream).map_err(|e| self.unreachable(e))?;
        if reply == "PONG" {
            Ok(())
        } else {
            Err(ScanError::Failed(format!("PING answered {reply:?}")))
        }
    }

    /// Streams `bytes` to clamd and reads its verdict.
    pub fn scan(&self, bytes: &[u8]) -> Result<Verdict, ScanError> {
        self.scan_in_chunks(bytes, CHUNK)
    }

    /// `scan` with chunks of `chunk` bytes (tests use small ones to split a signature).
    pub fn scan_in_chunks(&self, bytes: &[u8], chunk: usize) -> Result<Verdict, ScanError> {
        let mut stream = self.connect().map_err(|e| self.unreachable(e))?;
        let sent = (|| -> std::io::Result<()> {
            stream.write_all(b"zINSTREAM\0")?;
            for piece in bytes.chunks(chunk.max(1)) {
                // A chunk is at most CHUNK (or the caller's size), far below u32::MAX.
                let len = u32::try_from(piece.len()).unwrap_or(u32::MAX);
                stream.write_all(&len.to_be_bytes())?;
                stream.write_all(piece)?;
            }
            stream.write_all(&0u32.to_be_bytes())?;
            stream.flush()
        })();
        // clamd may stop reading and answer early (size limit): its answer says why.
        let reply = match (sent, read_reply(&mut stream)) {
            (_, Ok(reply)) if !reply.is_empty() => reply,
            (Err(e), _) | (Ok(()), Err(e)) => return Err(self.unreachable(e)),
            (Ok(()), Ok(_)) => return Err(ScanError::Failed("clamd closed the connection without an answer".into())),
        };
        parse_reply(&reply)
    }
}

fn read_reply(stream: &mut dyn Stream) -> std::io::Result<String> {
    let mut reply = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
        if reply.contains(&0) || reply.len() > MAX_REPLY {
            break;
        }
    }
    let end = reply.iter().position(|b| *b == 0).unwrap_or(reply.len());
    Ok(String::from_utf8_lossy(&reply[..end]).trim().to_owned())
}

/// `stream: OK`, `stream: Eicar-Signature FOUND`, anything else an error.
fn parse_reply(reply: &str) -> Result<Verdict, ScanError> {
    let body = reply.strip_prefix("stream:").map(str::trim).unwrap_or(reply);
    if body == "OK" {
        return Ok(Verdict::Clean);
    }
    if let Some(signature) = body.strip_suffix(" FOUND") {
        return Ok(Verdict::Infected(signature.trim().to_owned()));
    }
    Err(ScanError::Failed(reply.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_in_both_forms() {
        assert_eq!("unix:/run/clamav/clamd.ctl".parse(), Ok(ClamdAddress::Unix("/run/clamav/clamd.ctl".into())));
        assert_eq!("tcp://127.0.0.1:3310".parse(), Ok(ClamdAddress::Tcp("127.0.0.1:3310".into())));
        assert_eq!("tcp:localhost:3310".parse(), Ok(ClamdAddress::Tcp("localhost:3310".into())));
        assert!("tcp://127.0.0.1".parse::<ClamdAddress>().is_err());
        assert!("127.0.0.1:3310".parse::<ClamdAddress>().is_err());
        assert!("unix:".parse::<ClamdAddress>().is_err());
    }

    #[test]
    fn replies_are_read_strictly() {
        assert_eq!(parse_reply("stream: OK").ok(), Some(Verdict::Clean));
        assert_eq!(parse_reply("stream: Eicar-Test-Signature FOUND").ok(), Some(Verdict::Infected("Eicar-Test-Signature".into())));
        assert!(matches!(parse_reply("INSTREAM size limit exceeded. ERROR"), Err(ScanError::Failed(_))));
        assert!(matches!(parse_reply("stream: OKAY"), Err(ScanError::Failed(_))));
        assert!(matches!(parse_reply(""), Err(ScanError::Failed(_))));
    }
}

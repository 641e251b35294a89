//! Sending over SMTP: our own small pool of lettre connections, on sockets with `TCP_NODELAY`.
//!
//! lettre's pooled `AsyncSmtpTransport` never sets `TCP_NODELAY`, and it writes a mail's
//! terminating `\r\n.\r\n` on its own after the body: with Nagle's algorithm on, those five
//! bytes wait for the ACK of the body, which the server's kernel delays by ~40 ms, so each
//! pooled connection sent ~22 mails/s whatever the CPU (see BENCHMARKS.md). Here the socket is
//! ours: we connect it, set `TCP_NODELAY` and hand it to lettre's `AsyncSmtpConnection`, which
//! still speaks the protocol (EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA, dot-stuffing).
//!
//! What lettre's transport gave us, kept: its URL semantics (`Server::from_url` mirrors
//! `AsyncSmtpTransport::from_url`: `smtp://` plain, `?tls=opportunistic` or `?tls=required`
//! STARTTLS, `smtps://` implicit TLS, credentials and the EHLO name from the URL), reuse of idle
//! connections checked with NOOP first (a broken one is dropped and another taken or opened),
//! idle connections closed after 60 s, and lettre's errors, so that 5xx stays permanent. Added:
//! at most `size` connections at once (sends beyond wait for one), and a timeout on every step,
//! not only on connecting, so that a server that stops answering cannot hold a worker forever.

use std::borrow::Cow;
use std::io;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::{SMTP_PORT, SUBMISSIONS_PORT, SUBMISSION_PORT};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::timeout;

/// An idle connection is closed after this long (lettre's pool default).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// What lettre reports: the server's 4xx/5xx answers, TLS and protocol failures.
    #[error(transparent)]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("SMTP connection: {0}")]
    Io(#[from] io::Error),
    #[error("the SMTP server did not answer within {0:?}")]
    Timeout(Duration),
}

impl SmtpError {
    /// A 5xx answer: retrying the same mail will not help.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SmtpError::Smtp(e) if e.is_permanent())
    }
}

/// Where the SMTP server is and how to talk to it.
pub struct Server {
    /// The host as written in the URL: the TLS name.
    host: String,
    /// What to connect to (an IPv6 literal without its brackets).
    address: String,
    port: u16,
    tls: Tls,
    hello: ClientId,
    credentials: Option<Credentials>,
}

impl Server {
    /// Reads a connection URL as lettre's `AsyncSmtpTransport::from_url` does:
    /// `smtp://host[:25]` plain; `smtp://host[:587]?tls=opportunistic` STARTTLS when offered;
    /// `smtp://host[:587]?tls=required` STARTTLS or fail; `smtps://host[:465]` implicit TLS.
    /// `user:password@` (percent-encoded) authenticates; a path (`/name`) is the EHLO name.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url)?;
        let host = parsed.host_str().ok_or_else(|| anyhow::anyhow!("smtp host undefined"))?.to_owned();
        let address = match parsed.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => host.clone(),
        };
        let tls_param = parsed.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let tls_params = || TlsParameters::new(host.clone());
        let (default_port, tls) = match (parsed.scheme(), tls_param.as_deref()) {
            ("smtp", None) => (SMTP_PORT, Tls::None),
            ("smtp", Some("required")) => (SUBMISSION_PORT, Tls::Required(tls_params()?)),
            ("smtp", Some("opportunistic")) => (SUBMISSION_PORT, Tls::Opportunistic(tls_params()?)),
            ("smtps", _) => (SUBMISSIONS_PORT, Tls::Wrapper(tls_params()?)),
            (scheme, tls) => anyhow::bail!("unknown scheme '{scheme}' or tls parameter '{tls:?}'"),
        };
        let hello = match parsed.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().map(Cow::into_owned);
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(decode(parsed.username())?, decode(password)?)),
            None => None,
        };
        Ok(Self { host, address, port: parsed.port().unwrap_or(default_port), tls, hello, credentials })
    }

    /// A new connection: TCP with `TCP_NODELAY`, TLS as the URL says, EHLO, AUTH.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        let tcp = TcpStream::connect((self.address.as_str(), self.port)).await?;
        tcp.set_nodelay(true)?;
        let stream: Box<dyn AsyncTokioStream> = match &self.tls {
            Tls::Wrapper(params) => Box::new(implicit_tls::handshake(tcp, params.clone()).await?),
            _ => Box::new(tcp),
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello).await?;
        match &self.tls {
            Tls::Opportunistic(params) if conn.can_starttls() => conn.starttls(params.clone(), &self.hello).await?,
            Tls::Required(params) => conn.starttls(params.clone(), &self.hello).await?,
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        tracing::debug!(host = %self.host, port = self.port, "SMTP connection opened");
        Ok(conn)
    }
}

struct Parked {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// At most `size` connections to one server, idle ones reused.
pub struct Pool {
    server: Server,
    /// For each step: opening a connection (TCP, TLS, EHLO, AUTH), a NOOP, a whole send.
    timeout: Duration,
    /// An idle connection is closed after this long.
    idle_timeout: Duration,
    slots: Semaphore,
    size: usize,
    idle: Mutex<Vec<Parked>>,
}

impl Pool {
    pub fn new(server: Server, size: u32, timeout: Duration) -> Self {
        let size = size.max(1) as usize;
        Self { server, timeout, idle_timeout: IDLE_TIMEOUT, slots: Semaphore::new(size), size, idle: Mutex::new(Vec::with_capacity(size)) }
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Sends one mail on a pooled connection (waiting for one when all are busy).
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<Response, SmtpError> {
        let _slot = self.slots.acquire().await.map_err(|_| io::Error::other("the SMTP pool is closed"))?;
        let mut conn = self.checkout().await?;
        match timeout(self.timeout, conn.send(envelope, message)).await {
            Ok(result) => {
                // lettre marks the connection broken (after QUIT) when a command failed.
                if !conn.has_broken() {
                    self.park(conn);
                }
                Ok(result?)
            }
            // Stopped in the middle of a transaction: the connection is of no more use.
            Err(_) => Err(SmtpError::Timeout(self.timeout)),
        }
    }

    /// The most recently used idle connection that still answers NOOP, or a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        while let Some(mut conn) = self.unpark() {
            if matches!(timeout(self.timeout, conn.test_connected()).await, Ok(true)) {
                return Ok(conn);
            }
            tracing::debug!("dropping a broken SMTP connection");
        }
        timeout(self.timeout, self.server.connect()).await.map_err(|_| SmtpError::Timeout(self.timeout))?
    }

    /// Takes the newest idle connection; closes those idle for too long.
    fn unpark(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Parked in order (pushed and popped at the end): the stale ones come first.
        let cut = idle.partition_point(|p| p.since.elapsed() >= self.idle_timeout);
        let stale: Vec<Parked> = idle.drain(..cut).collect();
        let newest = idle.pop().map(|p| p.conn);
        drop(idle);
        for Parked { mut conn, .. } in stale {
            let limit = self.timeout;
            tokio::spawn(async move {
                let _ = timeout(limit, conn.quit()).await;
            });
        }
        newest
    }

    fn park(&self, conn: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        idle.push(Parked { conn, since: Instant::now() });
    }
}

/// `smtps://`: TLS before the server's greeting. lettre does the handshake (its TLS settings
/// and root certificates, as for STARTTLS) on our socket through `AsyncNetworkStream`, which
/// it still exports though deprecated, and which speaks the `futures` I/O traits; this adapts
/// it to the tokio ones that `connect_with_transport` takes.
#[allow(deprecated)]
mod implicit_tls {
    use std::io;
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use futures_util::io::{AsyncRead, AsyncWrite};
    use lettre::transport::smtp::client::{AsyncNetworkStream, AsyncTokioStream, TlsParameters};
    use tokio::io::ReadBuf;
    use tokio::net::TcpStream;

    #[derive(Debug)]
    pub(super) struct TlsStream(AsyncNetworkStream);

    pub(super) async fn handshake(tcp: TcpStream, params: TlsParameters) -> Result<TlsStream, lettre::transport::smtp::Error> {
        let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
        stream.upgrade_tls(params).await?;
        Ok(TlsStream(stream))
    }

    impl AsyncTokioStream for TlsStream {
        fn peer_addr(&self) -> io::Result<SocketAddr> {
            self.0.peer_addr()
        }
    }

    impl tokio::io::AsyncRead for TlsStream {
        fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            let inner = Pin::new(&mut self.get_mut().0);
            match inner.poll_read(cx, buf.initialize_unfilled()) {
                Poll::Ready(Ok(n)) => {
                    buf.advance(n);
                    Poll::Ready(Ok(()))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        }
    }

    impl tokio::io::AsyncWrite for TlsStream {
        fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().0).poll_flush(cx)
        }

        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().0).poll_close(cx)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    use super::*;

    /// How the fake server behaves.
    #[derive(Clone, Copy)]
    enum Fake {
        /// Answers RCPT with this line.
        Rcpt(&'static str),
        /// Accepts one mail per connection, then closes it (as a restarted server would).
        OneMailThenClose,
        /// Accepts connections and never says a word.
        Silent,
    }

    /// A minimal SMTP server on 127.0.0.1; counts the connections it accepted.
    async fn fake_server(mode: Fake) -> (u16, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(session(socket, mode));
            }
        });
        (port, accepted)
    }

    async fn session(socket: TcpStream, mode: Fake) {
        let (read, mut write) = socket.into_split();
        if matches!(mode, Fake::Silent) {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return;
        }
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
        while let Ok(Some(line)) = lines.next_line().await {
            let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
            let answer = match (verb.as_str(), mode) {
                ("EHLO", _) => "250-fake\r\n250 8BITMIME",
                ("RCPT", Fake::Rcpt(answer)) => answer,
                ("DATA", _) => {
                    write.write_all(b"354 go on\r\n").await.unwrap();
                    while let Ok(Some(line)) = lines.next_line().await {
                        if line == "." {
                            break;
                        }
                    }
                    write.write_all(b"250 queued\r\n").await.unwrap();
                    if matches!(mode, Fake::OneMailThenClose) {
                        return;
                    }
                    continue;
                }
                ("QUIT", _) => {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                }
                _ => "250 ok",
            };
            if write.write_all(format!("{answer}\r\n").as_bytes()).await.is_err() {
                return;
            }
        }
    }

    fn pool(url: &str) -> Pool {
        Pool::new(Server::from_url(url).unwrap(), 4, Duration::from_secs(2))
    }

    fn envelope() -> Envelope {
        Envelope::new(Some("desk@localhost".parse().unwrap()), vec!["s1@studenti.unibg.it".parse().unwrap()]).unwrap()
    }

    const MAIL: &[u8] = b"Subject: prova\r\n\r\nCiao.\r\n";

    #[test]
    fn reads_urls_as_lettre_does() {
        let s = Server::from_url("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((s.port, s.credentials.is_none()), (2525, true));
        assert!(matches!(s.tls, Tls::None));
        assert_eq!(s.hello, ClientId::default());
        let s = Server::from_url("smtp://mail.unibg.it").unwrap();
        assert!(matches!(s.tls, Tls::None) && s.port == 25);
        let s = Server::from_url("smtp://desk%40unibg.it:p%40ss%3Aw@mail.unibg.it/helpdesk.unibg.it?tls=required").unwrap();
        assert!(matches!(s.tls, Tls::Required(_)) && s.port == 587);
        assert_eq!(s.credentials, Some(Credentials::new("desk@unibg.it".into(), "p@ss:w".into())));
        assert_eq!(s.hello, ClientId::Domain("helpdesk.unibg.it".into()));
        let s = Server::from_url("smtp://mail.unibg.it?tls=opportunistic").unwrap();
        assert!(matches!(s.tls, Tls::Opportunistic(_)) && s.port == 587);
        let s = Server::from_url("smtps://user:pw@mail.unibg.it").unwrap();
        assert!(matches!(s.tls, Tls::Wrapper(_)) && s.port == 465 && s.host == "mail.unibg.it");
        let s = Server::from_url("smtp://[::1]:2525").unwrap();
        assert_eq!((s.address.as_str(), s.port), ("::1", 2525));
        for bad in ["http://mail.unibg.it", "smtp://mail.unibg.it?tls=sometimes", "smtp:///nohost", "not a url"] {
            assert!(Server::from_url(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn reuses_an_idle_connection() {
        let (port, accepted) = fake_server(Fake::Rcpt("250 ok")).await;
        let pool = pool(&format!("smtp://127.0.0.1:{port}"));
        for _ in 0..5 {
            pool.send(&envelope(), MAIL).await.unwrap();
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn closes_a_connection_idle_for_too_long() {
        let (port, accepted) = fake_server(Fake::Rcpt("250 ok")).await;
        let pool = Pool { idle_timeout: Duration::from_millis(100), ..pool(&format!("smtp://127.0.0.1:{port}")) };
        pool.send(&envelope(), MAIL).await.unwrap();
        pool.send(&envelope(), MAIL).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        pool.send(&envelope(), MAIL).await.unwrap();
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn replaces_a_connection_the_server_closed() {
        let (port, accepted) = fake_server(Fake::OneMailThenClose).await;
        let pool = pool(&format!("smtp://127.0.0.1:{port}"));
        for _ in 0..3 {
            // Give the close time to arrive, as after a restart.
            tokio::time::sleep(Duration::from_millis(50)).await;
            pool.send(&envelope(), MAIL).await.unwrap();
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn at_most_size_connections_at_once() {
        let (port, accepted) = fake_server(Fake::Rcpt("250 ok")).await;
        let pool = pool(&format!("smtp://127.0.0.1:{port}"));
        let envelope = envelope();
        let sends = (0..20).map(|_| pool.send(&envelope, MAIL));
        for sent in futures_util::future::join_all(sends).await {
            sent.unwrap();
        }
        assert!(accepted.load(Ordering::SeqCst) <= 4, "{} connections", accepted.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_5xx_is_permanent_a_4xx_or_no_server_is_not() {
        let (port, _) = fake_server(Fake::Rcpt("550 5.1.1 no such user")).await;
        let e = pool(&format!("smtp://127.0.0.1:{port}")).send(&envelope(), MAIL).await.unwrap_err();
        assert!(e.is_permanent(), "{e}");
        let (port, _) = fake_server(Fake::Rcpt("451 4.3.0 try later")).await;
        let e = pool(&format!("smtp://127.0.0.1:{port}")).send(&envelope(), MAIL).await.unwrap_err();
        assert!(!e.is_permanent(), "{e}");
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let e = pool(&format!("smtp://127.0.0.1:{closed}")).send(&envelope(), MAIL).await.unwrap_err();
        assert!(!e.is_permanent(), "{e}");
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let (port, _) = fake_server(Fake::Silent).await;
        let pool = Pool::new(Server::from_url(&format!("smtp://127.0.0.1:{port}")).unwrap(), 1, Duration::from_millis(300));
        let e = pool.send(&envelope(), MAIL).await.unwrap_err();
        assert!(matches!(e, SmtpError::Timeout(_)) && !e.is_permanent(), "{e}");
    }

    #[tokio::test]
    async fn smtps_starts_with_tls() {
        // A plain server's greeting is no TLS handshake: the connection fails before EHLO.
        let (port, _) = fake_server(Fake::Rcpt("250 ok")).await;
        let e = pool(&format!("smtps://localhost:{port}")).send(&envelope(), MAIL).await.unwrap_err();
        // rustls read the greeting as a TLS record.
        assert!(format!("{e:?}").contains("InvalidContentType"), "{e:?}");
        assert!(!e.is_permanent());
    }
}

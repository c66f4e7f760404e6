//! A small SMTP server on loopback that speaks real SMTP to lettre and keeps
//! what it receives. It can be stopped (port closed, connections cut) and
//! started again on the same port, to test that mail is retried.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message as the server accepted it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl ReceivedMail {
    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        mailparse::parse_mail(&self.data)
            .ok()?
            .headers
            .get_first_value(name)
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The decoded text body.
    pub fn body(&self) -> String {
        mailparse::parse_mail(&self.data)
            .and_then(|m| m.get_body())
            .unwrap_or_default()
    }
}

pub struct SmtpListener {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    running: Option<(
        tokio::sync::oneshot::Sender<()>,
        std::thread::JoinHandle<()>,
    )>,
}

impl SmtpListener {
    /// Listen on a free loopback port.
    pub fn start() -> anyhow::Result<SmtpListener> {
        let mut listener = SmtpListener {
            addr: "127.0.0.1:0".parse()?,
            received: Arc::default(),
            running: None,
        };
        listener.run()?;
        Ok(listener)
    }

    fn run(&mut self) -> anyhow::Result<()> {
        let std_listener = std::net::TcpListener::bind(self.addr)
            .with_context(|| format!("bind {}", self.addr))?;
        std_listener.set_nonblocking(true)?;
        self.addr = std_listener.local_addr()?;
        let received = self.received.clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(listener) = TcpListener::from_std(std_listener) else {
                    return;
                };
                let accept = async {
                    while let Ok((stream, _)) = listener.accept().await {
                        tokio::spawn(session(stream, received.clone()));
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = stop_rx => {}
                }
            });
            // Dropping the runtime cuts every open session.
        });
        self.running = Some((stop_tx, thread));
        Ok(())
    }

    /// Close the port and cut open connections.
    pub fn stop(&mut self) {
        if let Some((stop, thread)) = self.running.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }

    /// Listen again on the same port.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.run()
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Wait until at least `n` messages arrived (or the timeout passed) and return all of them.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpListener {
    fn drop(&mut self) {
        self.stop();
    }
}

fn address(arg: &str) -> String {
    let start = arg.find('<').map(|i| i + 1).unwrap_or(0);
    let end = arg.rfind('>').unwrap_or(arg.len());
    arg.get(start..end).unwrap_or("").to_owned()
}

async fn session(
    stream: TcpStream,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write
        .write_all(b"220 localhost ESMTP isacx-test\r\n")
        .await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                write
                    .write_all(b"250-localhost\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 OK\r\n")
                    .await?
            }
            "HELO" => write.write_all(b"250 localhost\r\n").await?,
            "MAIL" => {
                from = address(&command);
                to.clear();
                write.write_all(b"250 OK\r\n").await?;
            }
            "RCPT" => {
                to.push(address(&command));
                write.write_all(b"250 OK\r\n").await?;
            }
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = Vec::new();
                loop {
                    let mut raw = Vec::new();
                    if reader.read_until(b'\n', &mut raw).await? == 0 {
                        return Ok(());
                    }
                    if raw == b".\r\n" || raw == b".\n" {
                        break;
                    }
                    // Undo dot-stuffing (RFC 5321 §4.5.2).
                    let content = if raw.starts_with(b"..") {
                        &raw[1..]
                    } else {
                        &raw[..]
                    };
                    data.extend_from_slice(content);
                }
                if let Ok(mut all) = received.lock() {
                    all.push(ReceivedMail {
                        from: from.clone(),
                        to: to.clone(),
                        data,
                    });
                }
                write.write_all(b"250 OK queued\r\n").await?;
            }
            "RSET" => {
                from.clear();
                to.clear();
                write.write_all(b"250 OK\r\n").await?;
            }
            "NOOP" => write.write_all(b"250 OK\r\n").await?,
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"502 Command not implemented\r\n").await?,
        }
    }
}

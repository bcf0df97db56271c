//! A throwaway `redis-server` for the demo and its tests: on a free
//! loopback port, nothing saved to disk, in a temporary directory of its
//! own, and gone when its [`RedisServer`] guard is dropped.
//!
//! The server runs under a small `sh` watchdog that reads its standard
//! input: the guard holds the other end of that pipe, so when the guard is
//! dropped (a test that panics, Ctrl-C) or the whole process dies (even by
//! `SIGKILL`), the pipe closes, the watchdog kills `redis-server`, and no
//! server is left behind. [`RedisServer::start`] waits until the server
//! answers `PING`, within a deadline, and says why when it does not
//! (`redis-server` not installed: run `scripts/setup.sh`). Unix only, as
//! `redis-server` is.

use std::fs::File;
use std::io::{self, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The program the demo starts.
pub const REDIS_SERVER: &str = "redis-server";

/// How long a new server may take to answer `PING`.
const START_DEADLINE: Duration = Duration::from_secs(10);

/// Runs `redis-server`; once its own standard input closes, kills it,
/// waits for it and removes its directory. Not `exec`: the shell outlives
/// the server.
const WATCHDOG: &str = r#"redis-server "$@" & pid=$!
trap 'kill $pid 2>/dev/null' EXIT HUP TERM
while read -r _; do :; done
kill $pid 2>/dev/null
wait $pid 2>/dev/null
case "$LANTERN_REDIS_DIR" in */lantern-talk-redis-*) rm -rf "$LANTERN_REDIS_DIR" ;; esac"#;

/// A running `redis-server`; dropping it stops the server and removes its
/// directory.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    child: Child,
    stdin: Option<ChildStdin>,
    dir: PathBuf,
}

/// Whether `redis-server` can be found on the `PATH`.
pub fn installed() -> bool {
    Command::new(REDIS_SERVER)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl RedisServer {
    /// Starts `redis-server` on a free port of 127.0.0.1 and waits until it
    /// answers `PING` (up to 10 s). A port another program takes between the
    /// choice and the bind is retried, twice.
    pub fn start() -> io::Result<RedisServer> {
        if !installed() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{REDIS_SERVER} is not installed (scripts/setup.sh installs Debian's redis-server package)"),
            ));
        }
        let mut last = None;
        for _ in 0..3 {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port();
            match RedisServer::start_on(port) {
                Ok(server) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("redis-server did not start")))
    }

    /// Starts `redis-server` on `port` of 127.0.0.1 (a Redis coming back
    /// where it was, say) and waits until it answers `PING`.
    pub fn start_on(port: u16) -> io::Result<RedisServer> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("lantern-talk-redis-{}-{port}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let log = File::create(dir.join("redis.log"))?;
        let spawned = Command::new("sh")
            .args(["-c", WATCHDOG, "sh"])
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--protected-mode", "yes", "--maxmemory", "64mb"])
            .arg("--dir")
            .arg(&dir)
            .current_dir(&dir)
            .env("LANTERN_REDIS_DIR", &dir)
            // Its own process group: a Ctrl-C at the terminal reaches the
            // program, which stops its services before it stops Redis.
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let stdin = child.stdin.take();
        let server = RedisServer { port, child, stdin, dir };
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if ping(server.addr()) {
                return Ok(server);
            }
            let log = std::fs::read_to_string(server.dir.join("redis.log")).unwrap_or_default();
            // "Failed listening on port ... aborting": the port was taken.
            if Instant::now() > deadline || log.contains("aborting") {
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("redis-server on port {port} did not answer PING: {}", tail.join(" | ")),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Its URL for the `redis` crate: `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // Closing the pipe makes the watchdog kill the server and exit.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether a Redis server at `addr` answers `PING` with `+PONG` (within a
/// second).
pub fn ping(addr: SocketAddr) -> bool {
    let timeout = Duration::from_secs(1);
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, timeout) else { return false };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

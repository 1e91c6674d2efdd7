//! Throughput of the DATA path through the engine and transport: a large
//! message must go out in large writes with the terminator in the last one.

mod protocol_support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Instant;

use esmtp::core::protocol::run;
use protocol_support::{message, session, Recorder};

#[test]
fn large_message_over_data() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (mut c, _) = listener.accept().expect("accept");
        let _ = c.set_read_timeout(Some(std::time::Duration::from_secs(20)));
        let mut reads = 0usize;
        let mut total = 0usize;
        let mut tail: Vec<u8> = Vec::new();
        let mut buf = vec![0u8; 1 << 20];
        let _ = c.write_all(b"220 x\r\n");
        let mut stage = 0;
        loop {
            let n = match c.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            tail.extend_from_slice(&buf[..n]);
            if tail.len() > 8 {
                tail.drain(..tail.len() - 8);
            }
            match stage {
                0 => {
                    let _ = c.write_all(b"250 x\r\n");
                    stage = 1;
                }
                1 => {
                    let _ = c.write_all(b"250 ok\r\n");
                    stage = 2;
                }
                2 => {
                    let _ = c.write_all(b"250 ok\r\n");
                    stage = 3;
                }
                3 => {
                    let _ = c.write_all(b"354 go\r\n");
                    stage = 4;
                }
                4 => {
                    reads += 1;
                    total += n;
                    if tail.ends_with(b"\r\n.\r\n") {
                        let _ = c.write_all(b"250 queued\r\n");
                        stage = 5;
                    }
                }
                _ => {
                    let _ = c.write_all(b"221 bye\r\n");
                    break;
                }
            }
        }
        (reads, total)
    });
    let s = {
        let mut s = session(port);
        s.messages.push(message(Some("a@x"), &["b@x"]));
        s
    };
    let line = "x".repeat(998) + "\r\n";
    let body = format!("Subject: big\r\n\r\n{}", line.repeat(32 * 1024)); // 32 MiB
    let mut hooks = Recorder::new(vec![body.as_str()]);
    hooks.piece = 8192;
    let start = Instant::now();
    let outcome = run(&s, "c", &mut hooks);
    let elapsed = start.elapsed();
    let (reads, total) = server.join().expect("server");
    assert!(outcome.ret && outcome.error.is_none(), "{outcome:?}");
    // The message, the generated headers, the terminator.
    assert!(
        total > body.len() + 3 && total < body.len() + 200,
        "{total}"
    );
    assert_eq!(s.messages[0].transfer_status.code(), 250);
    eprintln!(
        "32 MiB in {:.3} s ({:.0} MiB/s), {reads} server reads",
        elapsed.as_secs_f64(),
        32.0 / elapsed.as_secs_f64()
    );
}

//! Test support for the protocol engine: a scripted SMTP server on loopback
//! (one thread, bounded timeouts) that records the client's bytes, and
//! `SessionHooks` that record events, monitor calls and message reads.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use esmtp::core::events::{Event, MessageBlock, MonitorKind, SessionHooks};
use esmtp::core::model::{Message, Recipient, ServerSpec, Session, Timeouts};

/// What the server does after a matching command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Reply(Vec<String>),
    /// Reply, then close the connection.
    ReplyClose(Vec<String>),
    /// Say nothing (the client's timeout runs).
    Silent,
    /// Close without a word.
    Close,
    /// Send these raw bytes.
    Raw(Vec<u8>),
}

/// One scripted rule: the first unused rule whose prefix matches a command
/// answers it; rules with `repeat` stay usable.
#[derive(Debug, Clone)]
pub struct Rule {
    pub prefix: String,
    pub action: Action,
    pub repeat: bool,
}

pub fn reply(prefix: &str, lines: &[&str]) -> Rule {
    Rule {
        prefix: prefix.to_owned(),
        action: Action::Reply(lines.iter().map(|s| s.to_string()).collect()),
        repeat: false,
    }
}

pub fn always(prefix: &str, lines: &[&str]) -> Rule {
    Rule {
        repeat: true,
        ..reply(prefix, lines)
    }
}

pub fn rule(prefix: &str, action: Action) -> Rule {
    Rule {
        prefix: prefix.to_owned(),
        action,
        repeat: false,
    }
}

/// A server script: greeting action and rules.
#[derive(Debug, Clone)]
pub struct Script {
    pub greeting: Action,
    pub rules: Vec<Rule>,
    /// Reply to the content after DATA (after the terminating dot).
    pub data_end: Vec<Action>,
}

impl Script {
    pub fn new(greeting: &[&str], rules: Vec<Rule>) -> Script {
        Script {
            greeting: Action::Reply(greeting.iter().map(|s| s.to_string()).collect()),
            rules,
            data_end: Vec::new(),
        }
    }

    pub fn data_end(mut self, lines: &[&str]) -> Script {
        self.data_end
            .push(Action::Reply(lines.iter().map(|s| s.to_string()).collect()));
        self
    }
}

/// What the server saw: `C: line [#batch]`, `C| content line`, `S: line`.
#[derive(Debug, Default, Clone)]
pub struct Transcript {
    pub lines: Vec<String>,
    pub raw: Vec<u8>,
}

impl Transcript {
    /// Content lines with the headers the library generates (Date,
    /// Message-Id, From) left out.
    pub fn content_without_generated(&self) -> Vec<String> {
        self.content()
            .into_iter()
            .filter(|l| {
                !l.starts_with("Date: ")
                    && !l.starts_with("Message-Id: ")
                    && !l.starts_with("From: ")
            })
            .collect()
    }

    /// Only the command lines, without batch numbers.
    pub fn commands(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|l| l.strip_prefix("C: "))
            .map(|l| l.rsplit_once(" [#").map_or(l, |(c, _)| c).to_owned())
            .collect()
    }

    /// Content bytes as written (DATA content or BDAT chunks).
    pub fn content(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|l| l.strip_prefix("C| "))
            .map(str::to_owned)
            .collect()
    }
}

fn show(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s
}

/// Starts a server for `scripts.len()` connections, one after the other.
pub fn serve(scripts: Vec<Script>) -> (u16, JoinHandle<Vec<Transcript>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        let mut out = Vec::new();
        for script in scripts {
            let Ok((stream, _)) = listener.accept() else {
                break;
            };
            out.push(serve_one(stream, script));
        }
        out
    });
    (port, handle)
}

fn send(stream: &mut TcpStream, t: &mut Transcript, action: &Action) -> bool {
    match action {
        Action::Reply(lines) | Action::ReplyClose(lines) => {
            let mut bytes = Vec::new();
            for l in lines {
                t.lines.push(format!("S: {l}"));
                bytes.extend_from_slice(l.as_bytes());
                bytes.extend_from_slice(b"\r\n");
            }
            let _ = stream.write_all(&bytes);
            !matches!(action, Action::ReplyClose(_))
        }
        Action::Raw(bytes) => {
            t.lines.push(format!("S: {}", show(bytes)));
            let _ = stream.write_all(bytes);
            true
        }
        Action::Silent => true,
        Action::Close => false,
    }
}

enum Mode {
    Commands,
    Data,
    Bdat(usize),
}

fn serve_one(mut stream: TcpStream, mut script: Script) -> Transcript {
    let mut t = Transcript::default();
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if !send(&mut stream, &mut t, &script.greeting.clone()) {
        t.lines.push("-- server closes".to_owned());
        return t;
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut batch = 0;
    let mut mode = Mode::Commands;
    let mut chunk = [0u8; 65536];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        batch += 1;
        t.raw.extend_from_slice(&chunk[..n]);
        buf.extend_from_slice(&chunk[..n]);
        loop {
            match mode {
                Mode::Bdat(remaining) => {
                    if buf.len() < remaining {
                        break;
                    }
                    let data: Vec<u8> = buf.drain(..remaining).collect();
                    t.lines.push(format!("C| {}", show(&data)));
                    mode = Mode::Commands;
                    continue;
                }
                Mode::Data => {
                    let Some(p) = buf.windows(2).position(|w| w == b"\r\n") else {
                        break;
                    };
                    let line: Vec<u8> = buf.drain(..p + 2).collect();
                    if line == b".\r\n" {
                        t.lines.push(format!("C: . [#{batch}]"));
                        mode = Mode::Commands;
                        let action = if script.data_end.is_empty() {
                            Action::Reply(vec!["250 OK".to_owned()])
                        } else {
                            script.data_end.remove(0)
                        };
                        if !send(&mut stream, &mut t, &action) {
                            t.lines.push("-- server closes".to_owned());
                            return t;
                        }
                    } else {
                        t.lines
                            .push(format!("C| {}", show(&line[..line.len() - 2])));
                    }
                    continue;
                }
                Mode::Commands => {}
            }
            let Some(p) = buf.windows(2).position(|w| w == b"\r\n") else {
                break;
            };
            let line: Vec<u8> = buf.drain(..p + 2).collect();
            let command = String::from_utf8_lossy(&line[..line.len() - 2]).into_owned();
            t.lines.push(format!("C: {command} [#{batch}]"));
            let upper = command.to_ascii_uppercase();
            if let Some(args) = upper.strip_prefix("BDAT ") {
                let size = args
                    .split(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                if size > 0 {
                    mode = Mode::Bdat(size);
                }
            }
            let idx = script
                .rules
                .iter()
                .position(|r| command.starts_with(&r.prefix));
            let action = match idx {
                Some(i) if script.rules[i].repeat => script.rules[i].action.clone(),
                Some(i) => script.rules.remove(i).action,
                None => Action::Reply(vec!["500 unrecognized".to_owned()]),
            };
            if upper == "DATA"
                && matches!(&action, Action::Reply(l) if l.first().is_some_and(|l| l.starts_with('3')))
            {
                mode = Mode::Data;
            }
            if !send(&mut stream, &mut t, &action) {
                t.lines.push("-- server closes".to_owned());
                return t;
            }
            if upper == "QUIT" {
                t.lines.push("-- server closes after QUIT".to_owned());
                return t;
            }
        }
    }
    t
}

/// Records what the engine reports.
#[derive(Debug, Default)]
pub struct Recorder {
    pub log: Vec<String>,
    /// Message contents, by message index.
    pub contents: Vec<Vec<u8>>,
    /// Hand out the content in pieces of this size (0 = all at once).
    pub piece: usize,
    pos: usize,
    pub monitor: bool,
    /// Answers for out-parameters, by event number (else the preset stays).
    pub answers: Vec<(i32, i32)>,
    /// errno to report at the end of the message.
    pub end_errno: i32,
    /// Sizes of the monitor's Writing calls.
    pub writes: Vec<usize>,
    /// Behave as if no event callback were set (presets stay).
    pub no_events: bool,
}

impl Recorder {
    pub fn new(contents: Vec<&str>) -> Recorder {
        Recorder {
            contents: contents
                .into_iter()
                .map(|c| c.as_bytes().to_vec())
                .collect(),
            ..Default::default()
        }
    }

    /// Events without MESSAGEDATA (the data path's business).
    pub fn events(&self) -> Vec<String> {
        self.log
            .iter()
            .filter(|l| l.starts_with("EV ") && !l.starts_with("EV MESSAGEDATA"))
            .cloned()
            .collect()
    }

    /// Every event, MESSAGEDATA included.
    pub fn all_events(&self) -> Vec<String> {
        self.log
            .iter()
            .filter(|l| l.starts_with("EV "))
            .cloned()
            .collect()
    }
}

impl SessionHooks for Recorder {
    fn event(&mut self, event: Event<'_>, out: Option<&mut i32>) {
        let number = event.number();
        let text = match &event {
            Event::Connect => "CONNECT".to_owned(),
            Event::Disconnect => "DISCONNECT".to_owned(),
            Event::MailStatus { message } => format!("MAILSTATUS #{message}"),
            Event::RcptStatus { message, recipient } => {
                format!("RCPTSTATUS #{message}.{recipient}")
            }
            Event::MessageData { message, len } => format!("MESSAGEDATA #{message} len={len}"),
            Event::MessageSent { message } => format!("MESSAGESENT #{message}"),
            Event::EtrnStatus { node } => format!("ETRNSTATUS node={node}"),
            Event::DeliverByExpired { shortfall } => format!("DELIVERBY_EXPIRED {shortfall}"),
            other => format!("{other:?}").to_ascii_uppercase(),
        };
        if self.no_events {
            return;
        }
        match out {
            Some(out) => {
                let preset = *out;
                if let Some((_, v)) = self.answers.iter().find(|(n, _)| *n == number) {
                    *out = *v;
                }
                self.log.push(format!("EV {text} preset={preset}"));
            }
            None => self.log.push(format!("EV {text}")),
        }
    }

    fn has_event_callback(&self) -> bool {
        !self.no_events
    }

    fn monitor(&mut self, data: &[u8], kind: MonitorKind) {
        let tag = match kind {
            MonitorKind::Reading => "S<",
            MonitorKind::Writing => {
                self.writes.push(data.len());
                "C>"
            }
            MonitorKind::Headers => "H>",
        };
        self.log.push(format!("{tag} {}", show(data)));
    }

    fn has_monitor(&self) -> bool {
        self.monitor
    }

    fn message_rewind(&mut self, _message: usize) {
        self.pos = 0;
        self.log.push("[rewind]".to_owned());
    }

    fn message_read(&mut self, message: usize) -> MessageBlock<'_> {
        let content = self.contents.get(message).map_or(&[][..], |c| c.as_slice());
        let start = self.pos.min(content.len());
        let end = if self.piece == 0 {
            content.len()
        } else {
            (start + self.piece).min(content.len())
        };
        self.pos = end;
        let errno = if start == end { self.end_errno } else { 0 };
        MessageBlock {
            data: &content[start..end],
            errno,
        }
    }
}

/// A session aimed at the test server.
pub fn session(port: u16) -> Session {
    Session {
        server: Some(ServerSpec {
            host: "127.0.0.1".to_owned(),
            service: port.to_string(),
        }),
        timeouts: Timeouts {
            greeting: 3000,
            envelope: 3000,
            data: 3000,
            transfer: 3000,
            data2: 3000,
        },
        ..Default::default()
    }
}

pub fn message(from: Option<&str>, to: &[&str]) -> Message {
    Message {
        reverse_path: from.map(Into::into),
        recipients: to.iter().map(|r| Recipient::new((*r).to_owned())).collect(),
        ..Default::default()
    }
}

/// `code enh text` of a status, text with escapes.
pub fn status(s: &esmtp::core::status::StatusCell) -> String {
    let s = s.get();
    format!(
        "{} {}.{}.{} \"{}\"",
        s.code,
        s.enh_class,
        s.enh_subject,
        s.enh_detail,
        show(&s.text)
    )
}

/// EHLO reply offering PIPELINING and ENHANCEDSTATUSCODES.
#[allow(dead_code)]
pub const EHLO_PIPE: &[&str] = &[
    "250-fake.example",
    "250-PIPELINING",
    "250 ENHANCEDSTATUSCODES",
];

#[allow(dead_code)]
pub fn one_message(port: u16, to: &[&str]) -> esmtp::core::model::Session {
    let mut s = session(port);
    s.messages.push(message(Some("a@x"), to));
    s
}

#[allow(dead_code)]
pub fn go(
    s: &esmtp::core::model::Session,
    hooks: &mut Recorder,
    server: std::thread::JoinHandle<Vec<Transcript>>,
) -> (esmtp::core::protocol::Outcome, Vec<Transcript>) {
    let outcome = esmtp::core::protocol::run(s, "client.example", hooks);
    (outcome, server.join().expect("server"))
}

#[allow(dead_code)]
pub fn ok_outcome(error: Option<esmtp::core::error::Error>) -> esmtp::core::protocol::Outcome {
    esmtp::core::protocol::Outcome { ret: true, error }
}

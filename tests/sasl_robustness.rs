//! Server-controlled input never panics the SASL code: random EHLO AUTH
//! lines, challenges and reply sequences through every mechanism.

use std::collections::VecDeque;

use esmtp::core::error::Error;
use esmtp::core::sasl::smtp::{
    add_mechanisms, authenticate, ehlo_auth_line, AuthOutcome, AuthParams, AuthReply, AuthTransport,
};
use esmtp::core::sasl::{self, base64, ntlm, AuthContext, Interact, Request, Secret};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, max: u64) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// Bytes biased towards what a server might send.
    fn text(&mut self, max: u64) -> Vec<u8> {
        const ALPHABET: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n=-.,*";
        let n = self.below(max + 1);
        (0..n)
            .map(|_| ALPHABET[self.below(ALPHABET.len() as u64) as usize])
            .collect()
    }
}

struct Answers;

impl Interact for Answers {
    fn interact(&mut self, r: &[Request]) -> Option<Vec<Secret>> {
        Some(r.iter().map(|_| Secret::from_slice(b"x")).collect())
    }
}

struct Script(VecDeque<AuthReply>);

impl AuthTransport for Script {
    fn send_line(&mut self, line: &[u8], monitor: &[u8]) -> Result<(), Error> {
        assert!(line.ends_with(b"\r\n") && monitor.ends_with(b"\r\n"));
        // no bare CR or LF inside a line we write
        let body = &line[..line.len() - 2];
        assert!(!body.contains(&b'\r') && !body.contains(&b'\n'));
        Ok(())
    }
    fn read_reply(&mut self) -> Result<AuthReply, Error> {
        self.0.pop_front().ok_or(Error::DroppedConnection)
    }
}

#[test]
fn random_inputs_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let raw = rng.bytes(64);
        let _ = base64::decode(&raw);
        let txt = rng.text(64);
        let _ = base64::decode(&txt);
        let _ = ntlm::parse_type2(&raw);
        let mut list = Vec::new();
        add_mechanisms(&mut list, &raw);
        ehlo_auth_line(&mut list, &txt);
        let mut t2 = b"NTLMSSP\0\x02\0\0\0".to_vec();
        t2.extend(rng.bytes(40));
        if let Some(t) = ntlm::parse_type2(&t2) {
            let (lm, nt) = ntlm::responses(&raw, &t.nonce).unwrap();
            let _ = ntlm::type3(t.flags, &lm, &nt, &raw, &txt, b"W");
        }
    }
}

#[test]
fn random_exchanges_never_panic() {
    let mut rng = Rng(42);
    let names = [
        "PLAIN", "LOGIN", "CRAM-MD5", "NTLM", "EXTERNAL", "X", "login",
    ];
    for _ in 0..2000 {
        let mut ctx = AuthContext::new();
        ctx.set_interact(Some(Box::new(Answers)));
        ctx.set_mechanism_flags(sasl::AUTH_PLUGIN_PLAIN, 0);
        ctx.set_external_id(Some(b"id"));
        ctx.set_workstation(Some("WS".into()));
        let mechs: Vec<String> = (0..rng.below(5))
            .map(|_| names[rng.below(names.len() as u64) as usize].to_string())
            .collect();
        let mut replies = VecDeque::new();
        for _ in 0..rng.below(8) {
            let code = [235, 334, 334, 334, 535, 534, 454, 501, 100, 600][rng.below(10) as usize];
            let text = if rng.below(3) == 0 {
                base64::encode(&rng.bytes(60)).as_bytes().to_vec()
            } else {
                rng.text(40)
            };
            replies.push_back(AuthReply { code, text });
        }
        let params = AuthParams {
            tls_active: rng.below(2) == 0,
            starttls_required: rng.below(2) == 0,
        };
        let mut t = Script(replies);
        match authenticate(&mut ctx, &mechs, &params, &mut t) {
            Ok(AuthOutcome::Authenticated { ssf, .. }) => assert_eq!(ssf, 0),
            Ok(_) => {}
            Err(e) => assert!(matches!(
                e,
                Error::DroppedConnection | Error::InvalidResponseStatus
            )),
        }
    }
}

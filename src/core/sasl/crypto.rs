//! The hash and cipher primitives the mechanisms need: HMAC-MD5 (CRAM-MD5)
//! through OpenSSL; for NTLM, single-block DES through OpenSSL's triple DES
//! with three equal keys (single DES lives in OpenSSL 3's legacy provider,
//! which we do not load into the host application's process) and MD4
//! implemented here (also legacy-only in OpenSSL 3), after RFC 1320.

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use openssl::symm::{Cipher, Crypter, Mode};

use super::secret::wipe;

/// HMAC-MD5 (RFC 2104). `None` only if OpenSSL fails.
pub fn hmac_md5(key: &[u8], data: &[u8]) -> Option<[u8; 16]> {
    let pkey = PKey::hmac(key).ok()?;
    let mut signer = Signer::new(MessageDigest::md5(), &pkey).ok()?;
    signer.update(data).ok()?;
    let mac = signer.sign_to_vec().ok()?;
    mac.as_slice().try_into().ok()
}

/// Spreads 56 key bits over 8 bytes (the low bit of each is parity, set odd).
fn des_key(k7: &[u8; 7]) -> [u8; 8] {
    let mut k = [
        k7[0],
        (k7[0] << 7) | (k7[1] >> 1),
        (k7[1] << 6) | (k7[2] >> 2),
        (k7[2] << 5) | (k7[3] >> 3),
        (k7[3] << 4) | (k7[4] >> 4),
        (k7[4] << 3) | (k7[5] >> 5),
        (k7[5] << 2) | (k7[6] >> 6),
        k7[6] << 1,
    ];
    for b in k.iter_mut() {
        let high = *b & 0xfe;
        *b = high | u8::from(high.count_ones() % 2 == 0);
    }
    k
}

/// DES-ECB of one block under a 56-bit key given as 7 bytes.
pub fn des_block(k7: &[u8; 7], block: &[u8; 8]) -> Option<[u8; 8]> {
    let k = des_key(k7);
    let mut key = [0u8; 24];
    key[..8].copy_from_slice(&k);
    key[8..16].copy_from_slice(&k);
    key[16..].copy_from_slice(&k);
    // EDE with K1 = K2 = K3 is single DES.
    let result = (|| {
        let mut c = Crypter::new(Cipher::des_ede3(), Mode::Encrypt, &key, None).ok()?;
        c.pad(false);
        let mut out = [0u8; 16];
        let n = c.update(block, &mut out).ok()?;
        let m = c.finalize(&mut out[n..]).ok()?;
        if n + m != 8 {
            return None;
        }
        let mut r = [0u8; 8];
        r.copy_from_slice(&out[..8]);
        wipe(&mut out);
        Some(r)
    })();
    wipe(&mut key);
    result
}

/// MD4 (RFC 1320).
pub fn md4(data: &[u8]) -> [u8; 16] {
    fn f(x: u32, y: u32, z: u32) -> u32 {
        (x & y) | (!x & z)
    }
    fn g(x: u32, y: u32, z: u32) -> u32 {
        (x & y) | (x & z) | (y & z)
    }
    fn h(x: u32, y: u32, z: u32) -> u32 {
        x ^ y ^ z
    }

    let mut state: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    let bit_len = (data.len() as u64).wrapping_mul(8);
    let mut msg = Vec::with_capacity(data.len() + 72);
    msg.extend_from_slice(data);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_le_bytes());

    for block in msg.chunks_exact(64) {
        let mut x = [0u32; 16];
        for (i, w) in block.chunks_exact(4).enumerate() {
            x[i] = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        }
        let [mut a, mut b, mut c, mut d] = state;

        // Round 1
        for &i in &[0usize, 4, 8, 12] {
            a = a.wrapping_add(f(b, c, d)).wrapping_add(x[i]).rotate_left(3);
            d = d
                .wrapping_add(f(a, b, c))
                .wrapping_add(x[i + 1])
                .rotate_left(7);
            c = c
                .wrapping_add(f(d, a, b))
                .wrapping_add(x[i + 2])
                .rotate_left(11);
            b = b
                .wrapping_add(f(c, d, a))
                .wrapping_add(x[i + 3])
                .rotate_left(19);
        }
        // Round 2
        const K2: u32 = 0x5a82_7999;
        for i in 0..4 {
            a = a
                .wrapping_add(g(b, c, d))
                .wrapping_add(x[i])
                .wrapping_add(K2)
                .rotate_left(3);
            d = d
                .wrapping_add(g(a, b, c))
                .wrapping_add(x[i + 4])
                .wrapping_add(K2)
                .rotate_left(5);
            c = c
                .wrapping_add(g(d, a, b))
                .wrapping_add(x[i + 8])
                .wrapping_add(K2)
                .rotate_left(9);
            b = b
                .wrapping_add(g(c, d, a))
                .wrapping_add(x[i + 12])
                .wrapping_add(K2)
                .rotate_left(13);
        }
        // Round 3
        const K3: u32 = 0x6ed9_eba1;
        for &i in &[0usize, 2, 1, 3] {
            a = a
                .wrapping_add(h(b, c, d))
                .wrapping_add(x[i])
                .wrapping_add(K3)
                .rotate_left(3);
            d = d
                .wrapping_add(h(a, b, c))
                .wrapping_add(x[i + 8])
                .wrapping_add(K3)
                .rotate_left(9);
            c = c
                .wrapping_add(h(d, a, b))
                .wrapping_add(x[i + 4])
                .wrapping_add(K3)
                .rotate_left(11);
            b = b
                .wrapping_add(h(c, d, a))
                .wrapping_add(x[i + 12])
                .wrapping_add(K3)
                .rotate_left(15);
        }

        state[0] = state[0].wrapping_add(a);
        state[1] = state[1].wrapping_add(b);
        state[2] = state[2].wrapping_add(c);
        state[3] = state[3].wrapping_add(d);
        for w in x.iter_mut() {
            *w = 0;
        }
        std::hint::black_box(&x);
    }
    wipe(&mut msg);

    let mut out = [0u8; 16];
    for (i, w) in state.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn md4_rfc1320_suite() {
        let cases: [(&[u8], &str); 7] = [
            (b"", "31d6cfe0d16ae931b73c59d7e0c089c0"),
            (b"a", "bde52cb31de33e46245e05fbdbd6fb24"),
            (b"abc", "a448017aaf21d8525fc10ae87aa6729d"),
            (b"message digest", "d9130a8164549fe818874806e1c7014b"),
            (
                b"abcdefghijklmnopqrstuvwxyz",
                "d79e1c308aa5bbcdeea8ed63df412da9",
            ),
            (
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "043f8582f241db351ce627e153e7f0e4",
            ),
            (
                b"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "e33b4ddc9c38f2199c3e7b164fcc0536",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(hex(&md4(input)), want);
        }
    }

    #[test]
    fn des_known_answer() {
        // FIPS 46 worked example: key 133457799BBCDFF1, 0123456789ABCDEF.
        // The 56 key bits of 13 34 57 79 9B BC DF F1 (parity bits dropped).
        let full = [0x13u8, 0x34, 0x57, 0x79, 0x9b, 0xbc, 0xdf, 0xf1];
        let mut bits: u64 = 0;
        for b in full {
            bits = (bits << 7) | u64::from(b >> 1);
        }
        let mut k7 = [0u8; 7];
        for (i, k) in k7.iter_mut().enumerate() {
            *k = (bits >> (48 - 8 * i)) as u8;
        }
        let out = des_block(&k7, &[0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
        assert_eq!(out.map(|o| hex(&o)).as_deref(), Some("85e813540f0ab405"));
    }

    #[test]
    fn hmac_md5_rfc2104() {
        // RFC 2104 test 2
        let mac = hmac_md5(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            mac.map(|m| hex(&m)).as_deref(),
            Some("750c783e6ab0b503eaa86e310a5db738")
        );
    }
}

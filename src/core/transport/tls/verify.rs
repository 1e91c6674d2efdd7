//! Peer name verification (tls-auth.md 6, with quirks Q12/Q13 fixed): the
//! certificate is checked against the host name the application configured,
//! by RFC 6125 rules. A wildcard is only a whole left-most label `*` with at
//! least two labels after it and never matches an IP address; IP literals
//! are matched against iPAddress subjectAltNames only; the commonName is a
//! fallback only for DNS names and only when there is no dNSName.

use std::net::IpAddr;

use openssl::nid::Nid;
use openssl::x509::X509Ref;

/// Longest name reported with `WRONG_PEER_CERTIFICATE` (libESMTP's buffer).
const REPORTED_MAX: usize = 255;

/// The name a certificate is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// A DNS name, ASCII-lower-cased, without one trailing dot.
    Dns(String),
    /// An IP literal (`[...]` brackets accepted around IPv6).
    Ip(IpAddr),
}

impl Reference {
    /// Classifies the host name given to `smtp_set_server`.
    pub fn new(host: &str) -> Reference {
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Reference::Ip(ip);
        }
        let name = host.strip_suffix('.').unwrap_or(host);
        Reference::Dns(name.to_ascii_lowercase())
    }

    /// The name to send with SNI: DNS names only (RFC 6066 forbids IP
    /// literals), and only when usable as a host name.
    pub fn sni_name(&self) -> Option<&str> {
        match self {
            Reference::Dns(n) if !n.is_empty() && !n.contains('\0') => Some(n),
            _ => None,
        }
    }
}

/// Whether certificate name `pattern` (a dNSName or commonName) matches the
/// DNS host `host` (already lower-cased, no trailing dot).
pub fn dns_name_matches(pattern: &str, host: &str) -> bool {
    if pattern.contains('\0') || host.is_empty() || host.parse::<IpAddr>().is_ok() {
        return false;
    }
    let pattern = pattern
        .strip_suffix('.')
        .unwrap_or(pattern)
        .to_ascii_lowercase();
    if pattern.split('.').any(str::is_empty) || host.split('.').any(str::is_empty) {
        return false;
    }
    match pattern.strip_prefix("*.") {
        None => !pattern.contains('*') && pattern == host,
        Some(rest) => {
            // `*` stands for exactly one whole label, and the rest must be
            // at least two labels with no further wildcard (`*.com` and
            // `*.*.example.com` never match).
            if rest.contains('*') || !rest.contains('.') {
                return false;
            }
            match host.split_once('.') {
                Some((first, host_rest)) => !first.is_empty() && host_rest == rest,
                None => false,
            }
        }
    }
}

/// The result of checking a certificate against the reference name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameCheck {
    Match,
    /// No name matched; the name to report with `WRONG_PEER_CERTIFICATE`:
    /// the last non-matching candidate examined (at most 255 bytes), or ""
    /// when the certificate had no usable name.
    Mismatch(String),
}

/// Names taken from a certificate.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CertNames {
    pub dns: Vec<String>,
    pub ips: Vec<IpAddr>,
    /// The last (most specific) commonName of the subject.
    pub last_cn: Option<String>,
}

impl CertNames {
    /// Extracts the subjectAltName dNSName / iPAddress entries and the last
    /// commonName.
    pub fn from_certificate(cert: &X509Ref) -> CertNames {
        let mut names = CertNames::default();
        if let Some(sans) = cert.subject_alt_names() {
            for san in sans.iter() {
                if let Some(d) = san.dnsname() {
                    names.dns.push(d.to_owned());
                } else if let Some(ip) = san.ipaddress() {
                    if let Ok(a) = <[u8; 4]>::try_from(ip) {
                        names.ips.push(IpAddr::from(a));
                    } else if let Ok(a) = <[u8; 16]>::try_from(ip) {
                        names.ips.push(IpAddr::from(a));
                    }
                }
            }
        }
        names.last_cn = cert
            .subject_name()
            .entries_by_nid(Nid::COMMONNAME)
            .last()
            .and_then(|e| e.data().to_string().ok());
        names
    }

    /// Checks these names against `reference`.
    pub fn check(&self, reference: &Reference) -> NameCheck {
        // The DNS-type candidates: dNSNames, else the last commonName.
        let dns_candidates: Vec<&str> = if self.dns.is_empty() {
            self.last_cn.iter().map(String::as_str).collect()
        } else {
            self.dns.iter().map(String::as_str).collect()
        };
        let reported = match reference {
            Reference::Ip(ip) => {
                if self.ips.contains(ip) {
                    return NameCheck::Match;
                }
                match self.ips.last() {
                    Some(last) => last.to_string(),
                    None => dns_candidates.last().copied().unwrap_or("").to_owned(),
                }
            }
            Reference::Dns(host) => {
                if dns_candidates.iter().any(|p| dns_name_matches(p, host)) {
                    return NameCheck::Match;
                }
                dns_candidates.last().copied().unwrap_or("").to_owned()
            }
        };
        NameCheck::Mismatch(truncate(reported))
    }
}

/// Checks `cert` against the host name the application configured.
pub fn check_certificate_name(cert: &X509Ref, host: &str) -> NameCheck {
    CertNames::from_certificate(cert).check(&Reference::new(host))
}

fn truncate(mut s: String) -> String {
    if s.len() > REPORTED_MAX {
        let mut end = REPORTED_MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s.replace('\0', "")
}

/// The first commonName of a (local) certificate, for the EXTERNAL identity
/// libESMTP primes after STARTTLS (4.2 step 5). `None` when there is none
/// (libESMTP then used an uninitialised buffer, quirk Q15, fixed).
pub fn first_common_name(cert: &X509Ref) -> Option<String> {
    cert.subject_name()
        .entries_by_nid(Nid::COMMONNAME)
        .next()
        .and_then(|e| e.data().to_string().ok())
        .filter(|s| !s.contains('\0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, host: &str) -> bool {
        match Reference::new(host) {
            Reference::Dns(h) => dns_name_matches(pattern, &h),
            Reference::Ip(_) => false,
        }
    }

    #[test]
    fn rfc6125_table() {
        assert!(m("*.example.com", "mail.example.com"));
        assert!(m("mail.example.com", "MAIL.Example.COM"));
        assert!(m("mail.example.com", "mail.example.com."));
        assert!(m("mail.example.com.", "mail.example.com"));
        assert!(!m("*.example.com", "a.mail.example.com"));
        assert!(!m("*.example.com", "example.com"));
        assert!(!m("*.0.0.1", "127.0.0.1"));
        assert!(!m("127.*.0.1", "127.0.0.1"));
        assert!(!m("*.*.*", "mail.example.com"));
        assert!(!m("*.com", "example.com"));
        assert!(!m("*", "localhost"));
        assert!(!m("12*.0.0.1", "127.0.0.1"));
        assert!(!m("m*.example.com", "mail.example.com"));
        assert!(!m("mail.*.com", "mail.example.com"));
        assert!(!m("mail.example.com\0.evil", "mail.example.com"));
        assert!(m("mail_1.example.com", "mail_1.example.com"));
        assert!(!m("", "mail.example.com"));
        assert!(!m("a..com", "a..com"));
    }

    #[test]
    fn candidates() {
        let n = CertNames {
            dns: vec!["wrong.example".into(), "other.example".into()],
            ips: vec![],
            last_cn: Some("localhost".into()),
        };
        assert_eq!(
            n.check(&Reference::new("localhost")),
            NameCheck::Mismatch("other.example".into())
        );
        let cn_only = CertNames {
            last_cn: Some("localhost".into()),
            ..CertNames::default()
        };
        assert_eq!(
            cn_only.check(&Reference::new("localhost")),
            NameCheck::Match
        );
        let ip = CertNames {
            ips: vec!["127.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))],
            last_cn: Some("127.0.0.1".into()),
            ..CertNames::default()
        };
        assert_eq!(ip.check(&Reference::new("127.0.0.1")), NameCheck::Match);
        assert_eq!(
            ip.check(&Reference::new("127.0.0.2")),
            NameCheck::Mismatch("127.0.0.1".into())
        );
        // an IP literal is never matched through a DNS-type name
        assert_eq!(
            cn_only.check(&Reference::new("127.0.0.1")),
            NameCheck::Mismatch("localhost".into())
        );
        let v6 = CertNames {
            ips: vec![IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])],
            ..CertNames::default()
        };
        assert_eq!(v6.check(&Reference::new("[::1]")), NameCheck::Match);
        assert_eq!(v6.check(&Reference::new("::1")), NameCheck::Match);
        assert_eq!(
            CertNames::default().check(&Reference::new("x.example")),
            NameCheck::Mismatch(String::new())
        );
        assert_eq!(truncate("a".repeat(300)).len(), 255);
    }

    #[test]
    fn sni() {
        assert_eq!(
            Reference::new("Mail.Example.").sni_name(),
            Some("mail.example")
        );
        assert_eq!(Reference::new("127.0.0.1").sni_name(), None);
        assert_eq!(Reference::new("[::1]").sni_name(), None);
    }
}

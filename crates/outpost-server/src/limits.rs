//! Rate limits: per authenticated principal (device token, API key, user) and per client
//! address for logins. GCRA limiters (governor) kept in memory per replica, so with several
//! replicas the effective limit is the per-replica limit times the number of replicas.

use crate::error::ApiError;
use axum::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// The key a login attempt from `ip` is counted under: the IPv4 address (an IPv4-mapped IPv6
/// spelling is the same client), or the /64 network of an IPv6 address — one host or home
/// usually holds a whole /64 and could otherwise rotate through 2^64 addresses.
pub fn login_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// The server's rate limiters.
pub struct Limits {
    per_principal: Option<DefaultKeyedRateLimiter<String>>,
    logins: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Limits {
    /// `per_s` requests a second per principal (burst 5x), `logins_per_min` login attempts a
    /// minute per client address (burst 10); 0 turns a limit off.
    pub fn new(per_s: u32, logins_per_min: u32) -> Self {
        let per_principal = NonZeroU32::new(per_s).map(|n| {
            let burst = n.saturating_mul(NonZeroU32::MIN.saturating_add(4));
            DefaultKeyedRateLimiter::keyed(Quota::per_second(n).allow_burst(burst))
        });
        let logins = NonZeroU32::new(logins_per_min).map(|n| {
            let burst = NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN);
            DefaultKeyedRateLimiter::keyed(Quota::per_minute(n).allow_burst(burst))
        });
        Limits {
            per_principal,
            logins,
        }
    }

    /// No limits (tests, benchmarks).
    pub fn unlimited() -> Self {
        Limits {
            per_principal: None,
            logins: None,
        }
    }

    fn refused(wait: std::time::Duration) -> ApiError {
        crate::metrics::metrics().rate_limited.inc();
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests; retry in {} ms", wait.as_millis().max(1)),
        )
    }

    /// Admits one request of `subject`, or answers 429.
    pub fn check(&self, subject: &str) -> Result<(), ApiError> {
        let Some(l) = &self.per_principal else {
            return Ok(());
        };
        l.check_key(&subject.to_string())
            .map_err(|nu| Self::refused(nu.wait_time_from(DefaultClock::default().now())))
    }

    /// Admits one login attempt from `ip`, or answers 429. IPv6 addresses count per /64
    /// ([`login_key`]).
    pub fn check_login(&self, ip: IpAddr) -> Result<(), ApiError> {
        let Some(l) = &self.logins else {
            return Ok(());
        };
        l.check_key(&login_key(ip))
            .map_err(|nu| Self::refused(nu.wait_time_from(DefaultClock::default().now())))
    }

    /// Forgets keys that are back at full capacity (call periodically; bounds memory).
    pub fn retain_recent(&self) {
        if let Some(l) = &self.per_principal {
            l.retain_recent();
        }
        if let Some(l) = &self.logins {
            l.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refuse_per_subject() {
        let l = Limits::new(2, 0);
        // Burst of 10 (5x of 2/s) passes, the 11th is refused; another subject is unaffected.
        for _ in 0..10 {
            l.check("a").unwrap();
        }
        let e = l.check("a").unwrap_err();
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.code, "rate_limited");
        l.check("b").unwrap();
        Limits::unlimited().check("a").unwrap();
    }

    #[test]
    fn logins_per_address() {
        let l = Limits::new(0, 1);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..10 {
            l.check_login(ip).unwrap();
        }
        assert!(l.check_login(ip).is_err());
        // An IPv4-mapped IPv6 spelling is the same client.
        assert!(l.check_login("::ffff:127.0.0.1".parse().unwrap()).is_err());
        l.check_login("127.0.0.2".parse().unwrap()).unwrap();
    }

    /// Rotating through the addresses of one IPv6 /64 does not escape the login
    /// limit; another /64 has its own budget.
    #[test]
    fn ipv6_logins_are_counted_per_64() {
        let l = Limits::new(0, 1);
        for i in 0..10u16 {
            let ip: IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
            l.check_login(ip).unwrap();
        }
        assert!(
            l.check_login("2001:db8:1:2:ffff:1:2:3".parse().unwrap())
                .is_err(),
            "a fresh address of the same /64 was let through"
        );
        l.check_login("2001:db8:1:3::1".parse().unwrap()).unwrap();
    }
}

//! Kubernetes resource quantities (`500m`, `2`, `1.5`, `512Mi`, `2G`, `1e3`),
//! parsed only far enough to compare and add them.

/// A quantity in base units (cores for CPU, bytes for memory), as an exact
/// count of milli-units so sums do not drift.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Milli(pub i128);

impl Milli {
    pub fn times(self, n: u32) -> Milli {
        Milli(self.0.saturating_mul(n as i128))
    }

    pub fn plus(self, other: Milli) -> Milli {
        Milli(self.0.saturating_add(other.0))
    }

    /// Human spelling for messages: cores with up to 3 decimals, bytes in
    /// the largest binary unit that divides evenly.
    pub fn display_cpu(self) -> String {
        if self.0 % 1000 == 0 {
            format!("{}", self.0 / 1000)
        } else {
            format!("{}m", self.0)
        }
    }

    pub fn display_memory(self) -> String {
        let bytes = self.0 / 1000;
        for (suffix, size) in [
            ("Ti", 1i128 << 40),
            ("Gi", 1 << 30),
            ("Mi", 1 << 20),
            ("Ki", 1 << 10),
        ] {
            if bytes >= size && bytes % size == 0 {
                return format!("{}{suffix}", bytes / size);
            }
        }
        format!("{bytes}")
    }
}

/// Parses a quantity; `None` when it is not a valid Kubernetes quantity.
pub fn parse(text: &str) -> Option<Milli> {
    let text = text.trim();
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let (mantissa, exponent): (&str, i32) = match suffix {
        s if s.starts_with(['e', 'E']) && s.len() > 1 => {
            let exp: i32 = s[1..].parse().ok()?;
            if !(-18..=18).contains(&exp) {
                return None;
            }
            (number, exp)
        }
        _ => (number, 0),
    };
    if mantissa.is_empty() || mantissa.starts_with('-') {
        return None;
    }
    let mantissa = mantissa.strip_prefix('+').unwrap_or(mantissa);
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.chars().all(|c| c.is_ascii_digit())
        || !frac_part.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    // Scale to milli-units with exact integer arithmetic: value * 1000.
    let multiplier: (i128, i32) = match suffix {
        "" => (1, 0),
        s if s.starts_with(['e', 'E']) => (1, exponent),
        "m" => (1, -3),
        "k" => (1, 3),
        "M" => (1, 6),
        "G" => (1, 9),
        "T" => (1, 12),
        "P" => (1, 15),
        "E" => (1, 18),
        "Ki" => (1 << 10, 0),
        "Mi" => (1 << 20, 0),
        "Gi" => (1 << 30, 0),
        "Ti" => (1 << 40, 0),
        "Pi" => (1 << 50, 0),
        "Ei" => (1 << 60, 0),
        _ => return None,
    };
    let digits = format!("{int_part}{frac_part}");
    if digits.len() > 30 {
        return None;
    }
    let mut value: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    // value currently is mantissa * 10^frac_len; we want mantissa * 10^(3+exp).
    let mut exp10 = 3 + multiplier.1 - frac_part.len() as i32;
    value = value.checked_mul(multiplier.0)?;
    while exp10 > 0 {
        value = value.checked_mul(10)?;
        exp10 -= 1;
    }
    while exp10 < 0 {
        // Sub-milli precision is rounded up, as the API server does.
        let rem = value % 10;
        value /= 10;
        if rem != 0 {
            value += 1;
        }
        exp10 += 1;
    }
    Some(Milli(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_memory_spellings() {
        assert_eq!(parse("500m"), Some(Milli(500)));
        assert_eq!(parse("2"), Some(Milli(2000)));
        assert_eq!(parse("0.5"), Some(Milli(500)));
        assert_eq!(parse("1.5"), Some(Milli(1500)));
        assert_eq!(parse("2Gi"), parse("2048Mi"));
        assert_eq!(parse("1k"), Some(Milli(1_000_000)));
        assert_eq!(parse("1e3"), parse("1k"));
        assert_eq!(
            parse("128Mi").map(|m| m.display_memory()),
            Some("128Mi".into())
        );
        assert_eq!(
            parse("1500m").map(|m| m.display_cpu()),
            Some("1500m".into())
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "abc",
            "1x",
            "-1",
            "1.2.3",
            "Mi",
            ".",
            "1e99",
            "99999999999999999999999999999999999Ei",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}

//! The little of DER (X.509's encoding) needed to read a certificate's
//! extensions: one element at a time, short tags, definite lengths.

/// One DER element: (tag, contents, the rest after it).
pub(crate) fn der_next(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | b as usize);
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The elements of a constructed DER value's contents.
pub(crate) fn der_items(mut input: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        let (tag, content, rest) = der_next(input)?;
        items.push((tag, content));
        input = rest;
    }
    Some(items)
}

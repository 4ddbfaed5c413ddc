//! Counts with their nouns, for every sentence the lab prints or writes
//! (report.md, the notebook, CLI messages): "1 run", "2 runs", "1 policy",
//! "3 policies", and verbs that agree with the count.

/// The plural of an English `noun` as the lab uses them: "run" → "runs",
/// "policy" → "policies", "index" → "indexes".
pub fn plural(noun: &str) -> String {
    let bytes = noun.as_bytes();
    let vowel = |b: u8| matches!(b, b'a' | b'e' | b'i' | b'o' | b'u');
    match bytes {
        [.., c, b'y'] if !vowel(*c) => format!("{}ies", &noun[..noun.len() - 1]),
        [.., b's' | b'x' | b'z'] | [.., b'c' | b's', b'h'] => format!("{noun}es"),
        _ => format!("{noun}s"),
    }
}

/// A count of things: any unsigned integer type.
pub trait Count: Copy + std::fmt::Display + PartialEq + From<u8> {}
impl<T: Copy + std::fmt::Display + PartialEq + From<u8>> Count for T {}

fn is_one<N: Count>(n: N) -> bool {
    n == N::from(1)
}

/// `noun` in the number `n` calls for (singular only for exactly one).
pub fn noun<N: Count>(n: N, noun: &str) -> String {
    if is_one(n) {
        noun.to_string()
    } else {
        plural(noun)
    }
}

/// `n` followed by `noun` in the right number: "1 run", "0 runs", "4 runs".
pub fn count<N: Count>(n: N, what: &str) -> String {
    format!("{n} {}", noun(n, what))
}

/// The verb form that agrees with `n` things: `singular` ("fails", "is")
/// for exactly one, `plural` ("fail", "are") otherwise.
pub fn agree<'a, N: Count>(n: N, singular: &'a str, plural: &'a str) -> &'a str {
    if is_one(n) {
        singular
    } else {
        plural
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_thing_is_singular_and_every_other_count_is_plural() {
        assert_eq!(count(1, "run"), "1 run");
        assert_eq!(count(0, "run"), "0 runs");
        assert_eq!(count(4, "run"), "4 runs");
        assert_eq!(count(1, "policy"), "1 policy");
        assert_eq!(count(3, "policy"), "3 policies");
        assert_eq!(count(2, "key"), "2 keys");
        assert_eq!(count(1u64, "op"), "1 op");
        assert_eq!(count(2, "batch"), "2 batches");
        assert_eq!(count(2, "index"), "2 indexes");
        assert_eq!(agree(1, "fails", "fail"), "fails");
        assert_eq!(agree(2, "is", "are"), "are");
    }
}

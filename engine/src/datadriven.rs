//! A small runner for data-driven tests: a text file of cases, each a
//! command, its input and the expected output, checked against what a test
//! function prints. Setting `LSMLAB_REWRITE=1` rewrites the expected output
//! in place instead of failing.
//!
//! ```text
//! # Comments and blank lines may come between cases.
//! define levels=4
//! L1
//!   000002: a#1 .. c#2
//! ----
//! L1
//!   000002: a#1 .. c#2
//! ```
//!
//! The expected output ends at the first blank line. Output that contains
//! blank lines is written between `----`/`----` pairs instead:
//!
//! ```text
//! command
//! ----
//! ----
//! first paragraph
//!
//! second paragraph
//! ----
//! ----
//! ```

use std::fmt::Write as _;
use std::path::Path;
use std::str::FromStr;

/// One case of a data-driven test file.
#[derive(Debug, Clone)]
pub struct Case {
    /// The first word of the command line.
    pub command: String,
    /// `name=value` arguments after the command, in order; a bare `name`
    /// has an empty value.
    pub args: Vec<(String, String)>,
    /// The lines between the command and `----`, each ending in `\n`.
    pub input: String,
    /// 1-based line number of the command in the file.
    pub line: usize,
}

impl Case {
    /// The value of argument `name`, if given.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// True when argument `name` is given (with or without a value).
    pub fn has_arg(&self, name: &str) -> bool {
        self.arg(name).is_some()
    }

    /// Argument `name` parsed as `T`, or `default` when absent.
    ///
    /// Panics (failing the test) when the value does not parse.
    pub fn arg_or<T: FromStr>(&self, name: &str, default: T) -> T {
        match self.arg(name) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                panic!("line {}: bad value `{v}` for argument `{name}`", self.line)
            }),
        }
    }
}

/// Where a case sits in the file, as 0-based line indices.
struct Span {
    case: Case,
    /// The command line as written.
    text: String,
    /// First `----` line.
    sep: usize,
    /// Expected output lines are `body_start..body_end`.
    body_start: usize,
    body_end: usize,
    /// First line after the case (after the closing `----` pair if any).
    end: usize,
}

const SEP: &str = "----";

fn is_skippable(line: &str) -> bool {
    line.trim().is_empty() || line.starts_with('#')
}

fn parse_cases(file: &str, lines: &[&str]) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if is_skippable(lines[i]) {
            i += 1;
            continue;
        }
        let cmd_line = i;
        let mut words = lines[i].split_whitespace();
        let command = words.next().unwrap_or_default().to_string();
        let args = words
            .map(|w| match w.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => (w.to_string(), String::new()),
            })
            .collect();
        i += 1;
        let input_start = i;
        while i < lines.len() && lines[i] != SEP {
            i += 1;
        }
        if i == lines.len() {
            panic!("{file}:{}: case has no `{SEP}` line", cmd_line + 1);
        }
        let sep = i;
        let input: String = lines[input_start..sep]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        i += 1;
        let (body_start, body_end, end);
        if lines.get(i) == Some(&SEP) {
            body_start = i + 1;
            i = body_start;
            while i + 1 < lines.len() && !(lines[i] == SEP && lines[i + 1] == SEP) {
                i += 1;
            }
            if i + 1 >= lines.len() {
                panic!(
                    "{file}:{}: output has no closing `{SEP}` pair",
                    cmd_line + 1
                );
            }
            body_end = i;
            end = i + 2;
        } else {
            body_start = i;
            while i < lines.len() && !lines[i].trim().is_empty() {
                i += 1;
            }
            body_end = i;
            end = i;
        }
        i = end;
        spans.push(Span {
            case: Case {
                command,
                args,
                input,
                line: cmd_line + 1,
            },
            text: lines[cmd_line].to_string(),
            sep,
            body_start,
            body_end,
            end,
        });
    }
    spans
}

/// A line diff of `expected` against `actual` (`-` expected only, `+`
/// actual only), by longest common subsequence.
fn diff(expected: &[&str], actual: &[&str]) -> String {
    let (n, m) = (expected.len(), actual.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == actual[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            let _ = writeln!(out, "  {}", expected[i]);
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            let _ = writeln!(out, "- {}", expected[i]);
            i += 1;
        } else {
            let _ = writeln!(out, "+ {}", actual[j]);
            j += 1;
        }
    }
    out
}

/// Runs every case of the file at `path` through `run`, comparing what it
/// returns (trailing newlines ignored) with the expected output. Panics with
/// a diff naming the file and line of each mismatching case, or, when
/// `LSMLAB_REWRITE=1`, rewrites the expected outputs in the file instead.
pub fn run_file(path: impl AsRef<Path>, run: impl FnMut(&Case) -> String) {
    let rewrite = std::env::var("LSMLAB_REWRITE").is_ok_and(|v| v == "1");
    run_file_inner(path.as_ref(), rewrite, run);
}

fn run_file_inner(path: &Path, rewrite: bool, mut run: impl FnMut(&Case) -> String) {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let lines: Vec<&str> = text.split('\n').collect();
    let spans = parse_cases(&file, &lines);

    let mut failures = String::new();
    let mut out: Vec<String> = Vec::new();
    let mut copied = 0;
    for s in &spans {
        eprintln!("{file}:{}: {}", s.case.line, s.text);
        let actual = run(&s.case);
        let actual = actual.trim_end_matches('\n');
        let actual_lines: Vec<&str> = if actual.is_empty() {
            Vec::new()
        } else {
            actual.split('\n').collect()
        };
        let expected = &lines[s.body_start..s.body_end];
        if expected != actual_lines.as_slice() {
            let _ = write!(
                failures,
                "\n{file}:{}: output of `{}` differs (- expected, + actual):\n{}",
                s.case.line,
                s.text,
                diff(expected, &actual_lines)
            );
        }
        out.extend(lines[copied..s.sep].iter().map(|l| l.to_string()));
        out.push(SEP.to_string());
        let paragraphs = actual_lines.iter().any(|l| l.trim().is_empty());
        if paragraphs {
            out.push(SEP.to_string());
        }
        out.extend(actual_lines.iter().map(|l| l.to_string()));
        if paragraphs {
            out.push(SEP.to_string());
            out.push(SEP.to_string());
        }
        copied = s.end;
    }
    out.extend(lines[copied..].iter().map(|l| l.to_string()));

    if rewrite {
        let new_text = out.join("\n");
        if new_text != text {
            std::fs::write(path, new_text).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    } else if !failures.is_empty() {
        panic!("{failures}\n(set LSMLAB_REWRITE=1 to accept the actual output)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# a comment
echo a=1 flag
x
y
----
x
y

count
----
----
one

two
----
----

empty
----
";

    fn handler(c: &Case) -> String {
        match c.command.as_str() {
            "echo" => {
                assert_eq!(c.arg_or("a", 0), 1);
                assert!(c.has_arg("flag"));
                assert_eq!(c.line, 2);
                c.input.clone()
            }
            "count" => "one\n\ntwo\n".to_string(),
            _ => String::new(),
        }
    }

    #[test]
    fn passing_file_runs_every_case() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.txt");
        std::fs::write(&p, FILE).unwrap();
        let mut seen = Vec::new();
        run_file(&p, |c| {
            seen.push(c.command.clone());
            handler(c)
        });
        assert_eq!(seen, ["echo", "count", "empty"]);
    }

    #[test]
    fn mismatch_names_file_and_line_with_a_diff() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.txt");
        std::fs::write(&p, FILE).unwrap();
        let err = std::panic::catch_unwind(|| {
            run_file(&p, |c| handler(c).replace('y', "z"));
        })
        .unwrap_err();
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(
            msg.contains("t.txt:2: output of `echo a=1 flag` differs"),
            "{msg}"
        );
        assert!(msg.contains("  x\n- y\n+ z\n"), "{msg}");
    }

    #[test]
    fn rewrite_replaces_only_expected_sections() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.txt");
        let stale = FILE
            .replace("x\ny\n\ncount", "old\n\ncount")
            .replace("----\n----\none\n\ntwo\n----\n----\n", "----\nstale\n")
            .replace("empty\n----\n", "empty\n----\nnot empty\n");
        std::fs::write(&p, &stale).unwrap();
        run_file_inner(&p, true, handler);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), FILE);
        run_file(&p, handler);
    }

    #[test]
    fn diff_shows_insertions_and_removals() {
        assert_eq!(diff(&["a", "b"], &["a", "c", "b"]), "  a\n+ c\n  b\n");
        assert_eq!(diff(&["a", "b"], &["b"]), "- a\n  b\n");
    }
}

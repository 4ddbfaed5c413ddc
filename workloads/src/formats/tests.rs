//! The cache-trace readers through [`TraceFile`]: mapping, expansion,
//! hashing, and errors naming file and line.

use super::*;
use crate::op::OpKind;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn read(path: &Path, format: Option<TraceFormat>) -> Result<(TraceFile, Vec<Op>), WorkloadError> {
    let trace = TraceFile::open(path, format, ReadOptions::default())?;
    let ops = trace.ops()?.collect::<Result<Vec<_>, _>>()?;
    Ok((trace, ops))
}

#[test]
fn twitter_operations_map_to_puts_gets_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "tw.csv",
        "10,q:q:1:8WTfjZU0PJ8d,16,60,15,get,0\n\
         10,q:q:1:8WTfjZU0PJ8d,16,60,15,set,30\n\
         11,a,b,c,20,100,15,add,0\n\
         12,q:q:1:8WTfjZU0PJ8d,16,0,15,delete,0\n\
         13,counter,7,4,2,incr,0\n",
    );
    let (trace, ops) = read(&path, Some(TraceFormat::Twitter)).unwrap();
    let got: Vec<(OpKind, usize, u32, Option<u64>, u64)> = ops
        .iter()
        .map(|o| (o.kind.clone(), o.key.len(), o.value_len, o.ttl, o.time))
        .collect();
    assert_eq!(
        got,
        [
            (OpKind::Get, 16, 0, None, 0),
            (OpKind::Put, 16, 60, Some(30_000), 0),
            (OpKind::Put, 20, 100, None, 1000),
            (OpKind::Delete, 16, 0, None, 2000),
            (OpKind::Get, 8, 0, None, 3000),
            (OpKind::Put, 8, 4, None, 3000),
        ]
    );
    // One anonymised key, one lsmlab key; a key with commas is one key.
    assert!(ops[0].key == ops[1].key && ops[1].key == ops[3].key);
    assert_ne!(ops[0].key, ops[2].key);
    assert_eq!(
        trace.counts().describe(),
        "6 ops (put 3, delete 1, get 2, scan 0); nothing skipped"
    );
    let bad = write(
        &dir,
        "bad.csv",
        "10,k,16,60,15,get,0\n10,k,16,60,15,touch,0\n",
    );
    let e = read(&bad, Some(TraceFormat::Twitter))
        .unwrap_err()
        .to_string();
    assert!(e.ends_with("bad.csv:2: unknown operation \"touch\" (expected get, gets, set, add, replace, cas, append, prepend, delete, incr, decr)"), "{e}");
    let short = write(&dir, "short.csv", "10,k,16,60\n");
    let e = read(&short, Some(TraceFormat::Twitter))
        .unwrap_err()
        .to_string();
    assert!(e.contains("short.csv:1: expected 7 fields"), "{e}");
}

#[test]
fn meta_kv_traces_of_both_layouts_expand_op_count() {
    let dir = tempfile::tempdir().unwrap();
    let v2022 = write(
        &dir,
        "kv2022.csv",
        "key,op,size,op_count,key_size\n\
         1668757755,SET,82,1,40\n\
         1668757755,GET,0,1,40\n\
         1665497896,GET,169,3,78\n",
    );
    let (trace, ops) = read(&v2022, None).unwrap();
    assert_eq!(trace.format(), TraceFormat::MetaKv);
    assert_eq!(trace.counts().ops(), 5);
    assert_eq!(
        (ops[0].kind.clone(), ops[0].value_len, ops[0].key.len()),
        (OpKind::Put, 82, 40)
    );
    assert_eq!(ops[0].key, ops[1].key);
    assert!(ops[2..]
        .iter()
        .all(|o| o.kind == OpKind::Get && o.key.len() == 78 && o.key == ops[2].key));
    // No op_time: ingest_rate (1000/s) paces them.
    assert_eq!(
        ops.iter().map(|o| o.time).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    let v2024 = write(
        &dir,
        "kv2024.csv",
        "op_time,key,key_size,op,op_count,size,cache_hits,ttl,usecase,sub_usecase\n\
         604038471,82131353f9ddc8c6,48,GET,1,87,1,0,366387042,3003229276\n\
         604038471,a54f88ab02ece24d,24,GET,3,0,0,0,699950563,699950563\n\
         604038473,828769c1e1ce3a29,67,SET,1,65,0,7200,2777918327,655456894\n\
         604038475,828769c1e1ce3a29,67,DELETE,1,0,0,0,2777918327,655456894\n",
    );
    let (trace, ops) = read(&v2024, None).unwrap();
    assert_eq!(
        trace.counts().describe(),
        "6 ops (put 1, delete 1, get 4, scan 0); nothing skipped"
    );
    let put = &ops[4];
    assert_eq!(
        (put.kind.clone(), put.value_len, put.ttl, put.time),
        (OpKind::Put, 65, Some(7_200_000), 2000)
    );
    assert_eq!((&ops[5].kind, ops[5].time), (&OpKind::Delete, 4000));
    for (text, line, reason) in [
        (
            "key,op,size\n1,GET,0\n",
            1,
            "header \"key,op,size\" lacks the column \"op_count\"",
        ),
        (
            "key,op,size,op_count,key_size\n1,PUT,0,1,8\n",
            2,
            "unknown op \"PUT\"",
        ),
        (
            "key,op,size,op_count,key_size\n1,GET,0,0,8\n",
            2,
            "op_count 0 is outside",
        ),
        (
            "key,op,size,op_count,key_size\n1,GET,0,1\n",
            2,
            "expected at least 5 fields, found 4",
        ),
    ] {
        let path = write(&dir, "bad.csv", text);
        let e = read(&path, Some(TraceFormat::MetaKv))
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("bad.csv:{line}: {reason}")), "{e}");
    }
}

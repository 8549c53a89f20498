//! Memory freed after a burst is handed back to the system: alone in its
//! own test binary, so that no other test allocates while it measures.

/// Resident anonymous memory of this process, in KiB.
fn rss_anon_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[test]
fn memory_freed_after_a_burst_is_handed_back() {
    // A burst: 40 MB in small blocks, of which every 64th outlives it, so
    // that the freed memory is scattered and the allocator keeps it.
    let kept: Vec<Vec<u8>> = std::thread::spawn(|| {
        let blocks: Vec<Vec<u8>> = (0..20_000).map(|i| vec![i as u8; 2_000]).collect();
        blocks.into_iter().step_by(64).collect()
    })
    .join()
    .unwrap();
    let before = rss_anon_kib();
    let held = madoguchi::memory::trim(madoguchi::memory::TRIM_ABOVE)
        .expect("the freed burst is more than the threshold");
    let after = rss_anon_kib();
    assert!(held > 30 << 20, "held {held} bytes free");
    assert!(
        after + 20_000 < before,
        "resident anonymous memory {before} KiB before the trim, {after} KiB after"
    );
    assert_eq!(kept.len(), 313);
}

//! Memory freed after a burst is handed back to the system: alone in its
//! own test binary, so that no other test allocates while it measures.

/// Resident anonymous memory of this process, in KiB.
fn rss_anon_kib() -> u64 {
    testkit::status_kib(std::process::id(), "RssAnon").unwrap()
}

#[test]
fn memory_freed_after_a_burst_is_handed_back() {
    let kept = testkit::fragmented_burst();
    let before = rss_anon_kib();
    let mut trimmer = madoguchi::memory::Trimmer::default();
    let held = trimmer
        .look(madoguchi::memory::TRIM_ABOVE)
        .expect("the freed burst is more than the threshold");
    let after = rss_anon_kib();
    assert_eq!(
        trimmer.look(madoguchi::memory::TRIM_ABOVE),
        None,
        "nothing was freed since the trim, so the next look hands nothing back"
    );
    assert!(held > 30 << 20, "held {held} bytes free");
    assert!(
        after + 20_000 < before,
        "resident anonymous memory {before} KiB before the trim, {after} KiB after"
    );
    drop(kept);
}

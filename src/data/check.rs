//! What `madoguchi check` prints about knowledge that loaded: each plan and
//! whether it is the current one, upcoming or superseded, how much of each
//! kind was read, and on request every measure with its place in the plan.

use std::path::Path;

use super::Knowledge;

impl Knowledge {
    /// The summary `madoguchi check` prints for the knowledge read from
    /// `dir`: one line per plan, then the counts; with `measures`, one
    /// `id<TAB>place<TAB>text` line per measure of the current plan.
    pub fn check_text(&self, dir: &Path, measures: bool) -> String {
        let mut out = String::new();
        for p in &self.plans {
            let state = if p.start == self.plan.start {
                "current"
            } else if p.start > self.plan.start {
                "upcoming"
            } else {
                "superseded"
            };
            out.push_str(&format!(
                "plan: {} {} (from {}): {state}\n",
                p.year, p.title, p.start
            ));
        }
        out.push_str(&format!(
            "{}: OK — {} areas, {} measures, {} FAQ entries, {} channels, {} synonym groups, {} rules, {} user-dictionary words\n",
            dir.display(),
            self.areas.len(),
            self.measures.len(),
            self.faqs.len(),
            self.channels.len(),
            self.synonyms.groups.len(),
            self.synonyms.rules.len(),
            self.user_words.len()
        ));
        if measures {
            for m in &self.measures {
                out.push_str(&format!("{}\t{}\t{}\n", m.id, self.place(m), m.text));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_each_plan_the_counts_and_on_request_the_measures() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let k = super::super::load(&dir).expect("data/ loads");
        let summary = k.check_text(&dir, false);
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(lines.len(), k.plans.len() + 1, "{summary}");
        assert_eq!(
            lines[0],
            format!(
                "plan: {} {} (from {}): current",
                k.plan.year, k.plan.title, k.plan.start
            )
        );
        assert_eq!(
            lines[1],
            format!(
                "{}: OK — {} areas, {} measures, {} FAQ entries, {} channels, {} synonym groups, {} rules, {} user-dictionary words",
                dir.display(),
                k.areas.len(),
                k.measures.len(),
                k.faqs.len(),
                k.channels.len(),
                k.synonyms.groups.len(),
                k.synonyms.rules.len(),
                k.user_words.len()
            )
        );

        let listed = k.check_text(&dir, true);
        assert!(listed.starts_with(&summary));
        let rows: Vec<&str> = listed.lines().skip(lines.len()).collect();
        assert_eq!(rows.len(), k.measures.len());
        let m = &k.measures[0];
        assert_eq!(rows[0], format!("{}\t{}\t{}", m.id, k.place(m), m.text));
        assert!(rows[0].contains(" › "), "{}", rows[0]);
    }
}

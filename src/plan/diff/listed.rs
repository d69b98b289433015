//! The current assignments of one scope, indexed for the matching rules of `diff`.

use std::collections::HashMap;

use super::{desired_ids, id_matches, tenant_ok};
use crate::model::{CurrentAssignment, DesiredGrant, IgnoreRule, PrincipalType, Role};

type IndexKey = (PrincipalType, Role, String);

/// The current assignments of one scope, sorted, with what the rules need to know about each.
pub(super) struct Listed {
    pub items: Vec<CurrentAssignment>,
    pub ignored: Vec<bool>,
    pub used: Vec<bool>,
    /// (type, role, lowercased id) → indexes, by every spelling of the principal
    /// (`CurrentAssignment::principal_ids`).
    index: HashMap<IndexKey, Vec<usize>>,
}

impl Listed {
    pub fn new(mut items: Vec<CurrentAssignment>, ignore: &[IgnoreRule]) -> Self {
        items.sort_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then_with(|| {
                    a.name
                        .to_ascii_lowercase()
                        .cmp(&b.name.to_ascii_lowercase())
                })
                .then_with(|| a.name.cmp(&b.name))
        });
        let ignored = items
            .iter()
            .map(|a| ignore.iter().any(|r| r.matches(a)))
            .collect();
        let mut index: HashMap<IndexKey, Vec<usize>> = HashMap::new();
        for (i, a) in items.iter().enumerate() {
            if !a.is_held() {
                // Failed or canceled: it holds no grant, it can only be replaced or deleted.
                continue;
            }
            let k = &a.key;
            for id in a.principal_ids() {
                let entry = index
                    .entry((k.principal_type, k.role, id.to_ascii_lowercase()))
                    .or_default();
                if !entry.contains(&i) {
                    entry.push(i);
                }
            }
        }
        let used = vec![false; items.len()];
        Listed {
            items,
            ignored,
            used,
            index,
        }
    }

    /// Indexes of the assignments holding `g`'s key, in sorted order.
    pub fn holding(&self, g: &DesiredGrant) -> Vec<usize> {
        let k = &g.key;
        let mut found: Vec<usize> = desired_ids(g)
            .filter_map(|id| {
                self.index
                    .get(&(k.principal_type, k.role, id.to_ascii_lowercase()))
            })
            .flatten()
            .copied()
            .filter(|&i| tenant_ok(g, &self.items[i]))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The assignments holding `g`'s key under `g`'s own spelling of the principal id.
    pub fn direct(&self, g: &DesiredGrant) -> Vec<usize> {
        self.holding(g)
            .into_iter()
            .filter(|&i| g.key.principal_id == self.items[i].key.principal_id)
            .collect()
    }

    /// Of duplicates holding `g`, the one to keep (see the module docs).
    pub fn keeper(&self, g: &DesiredGrant, fresh: &[usize]) -> usize {
        let by_file_name = |i: usize| {
            g.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&self.items[i].name))
        };
        let spelled_alike = |i: usize| g.key.principal_id == self.items[i].key.principal_id;
        *fresh
            .iter()
            .min_by_key(|&&i| (!self.ignored[i], !by_file_name(i), !spelled_alike(i), i))
            .expect("at least one match")
    }

    /// The first unused, managed assignment of the same principal as `g` (another role or type).
    pub fn replaceable(&self, g: &DesiredGrant) -> Option<usize> {
        (0..self.items.len()).find(|&i| {
            let a = &self.items[i];
            !self.used[i] && !self.ignored[i] && id_matches(g, a) && tenant_ok(g, a)
        })
    }
}

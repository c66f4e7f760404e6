//! Compiled member profiles, kept between reports.
//!
//! Compiling a member's detectors costs far more than running them on a
//! short report, and a member's profile rarely changes. The cache holds one
//! [`CompiledProfile`] per member, keyed by the member's id and checked
//! against the profile's whole content on every use: when the organisation
//! record changes (a new alias, domain or range), the next report compiles
//! the new profile and replaces the old one. A stale profile is therefore
//! never used, whatever path changed the record.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{AnonymiseError, CompiledProfile, MemberProfile};

/// Compiled profiles by member id.
#[derive(Debug, Default)]
pub struct ProfileCache {
    entries: Mutex<HashMap<String, Arc<CompiledProfile>>>,
}

impl ProfileCache {
    /// The compiled form of `profile` for member `key`: the cached one if it
    /// was compiled from an identical profile, else a new one (cached).
    pub fn get(
        &self,
        key: &str,
        profile: MemberProfile,
    ) -> Result<Arc<CompiledProfile>, AnonymiseError> {
        if let Some(hit) = self.lookup(key, &profile) {
            return Ok(hit);
        }
        // Compiled outside the lock: other members' reports need not wait.
        let compiled = Arc::new(CompiledProfile::new(profile)?);
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(key.to_owned(), compiled.clone());
        }
        Ok(compiled)
    }

    fn lookup(&self, key: &str, profile: &MemberProfile) -> Option<Arc<CompiledProfile>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|compiled| compiled.profile() == profile)
            .cloned()
    }

    /// How many members have a compiled profile.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reused_while_the_profile_is_the_same_and_replaced_when_it_changes() {
        let cache = ProfileCache::default();
        let mut profile = MemberProfile {
            names: vec!["アクメ電力株式会社".to_owned()],
            ..MemberProfile::default()
        };
        let first = cache.get("org-1", profile.clone()).unwrap();
        let again = cache.get("org-1", profile.clone()).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        profile.aliases.push("アクメ".to_owned());
        let changed = cache.get("org-1", profile.clone()).unwrap();
        assert!(!Arc::ptr_eq(&first, &changed));
        assert_eq!(changed.profile(), &profile);
        assert_eq!(cache.len(), 1);
        cache.get("org-2", MemberProfile::default()).unwrap();
        assert_eq!(cache.len(), 2);
    }
}

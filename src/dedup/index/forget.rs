//! Forgetting items: one removed (or replaced), or every item before a day.

use std::hash::BuildHasher;

use chrono::{DateTime, FixedOffset};

use super::{StoryIndex, slot_id, vn_day};

impl StoryIndex {
    pub fn remove(&mut self, item_id: &str) {
        let Some(slot) = self.unlink_id(item_id) else {
            return;
        };
        let Some(e) = self.slots.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        if let Some(h) = self.hot.get_mut(slot as usize) {
            h.live = false;
        }
        self.free.push(slot);
        self.removals += 1;
        if let Some(d) = self.days.get_mut(&e.day) {
            d.all.retain(|&s| s != slot);
            d.nameless.retain(|&s| s != slot);
            d.tail.retain(|&s| s != slot);
            d.pending.retain(|&s| s != slot);
            if let Some(lists) = d.lists.get_mut()
                && e.n_names > 0
            {
                lists.names.retain_slots(|s| s != slot);
                lists.bands.retain_slots(|s| s != slot);
            }
            if d.all.is_empty() {
                self.days.remove(&e.day);
            }
        }
    }

    /// Forget every item dated before `cutoff` (Vietnam calendar day), returning how
    /// many were dropped; keeps memory bounded in a long-running daemon.
    pub fn prune_before(&mut self, cutoff: DateTime<FixedOffset>) -> usize {
        let day = vn_day(cutoff);
        let keep = self.days.split_off(&day);
        let old = std::mem::replace(&mut self.days, keep);
        let mut n = 0;
        for d in old.into_values() {
            for s in d.all {
                self.unlink_slot(s);
                if self
                    .slots
                    .get_mut(s as usize)
                    .and_then(Option::take)
                    .is_some()
                {
                    if let Some(h) = self.hot.get_mut(s as usize) {
                        h.live = false;
                    }
                    self.free.push(s);
                    n += 1;
                }
            }
        }
        if n > 0 {
            self.removals += 1;
        }
        n
    }

    /// Take an id out of `by_id` (its entry must still be in its slot); its slot.
    fn unlink_id(&mut self, id: &str) -> Option<u32> {
        let slots = &self.slots;
        self.by_id
            .find_entry(self.hasher.hash_one(id), |&s| slot_id(slots, s) == id)
            .ok()
            .map(|entry| entry.remove().0)
    }

    /// Take a slot out of `by_id`, its entry still in place (the hash is its id's).
    fn unlink_slot(&mut self, slot: u32) {
        let hash = self.hasher.hash_one(slot_id(&self.slots, slot));
        if let Ok(entry) = self.by_id.find_entry(hash, |&s| s == slot) {
            entry.remove();
        }
    }
}

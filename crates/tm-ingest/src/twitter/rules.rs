//! Stream rules from the watch list, and the plan that turns Twitter's rules into ours. Pure.
//!
//! One rule per room: tag `room:<id>`, value `#a -is:retweet` or `(#a OR #b) -is:retweet`.
//! Twitter rejects a second rule with the same *value* (`DuplicateRule`), so rooms that watch
//! exactly the same hashtags share one rule whose tag lists them all: `room:7,42`. Limits:
//! a value longer than `max_value_chars` keeps as many hashtags as fit (the rest are reported
//! as dropped); past `max_rules` the rooms with the highest ids get no rule (reported).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tm_core::event::RoomId;

use crate::watch::WatchList;

/// Every tag we create starts with this; the stream's `matching_rules` carry it back.
pub const TAG_PREFIX: &str = "room:";
const SUFFIX: &str = " -is:retweet";

/// A rule as we want it (and as Twitter's add endpoint takes it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RuleSpec {
    pub value: String,
    pub tag: String,
}

/// A rule as Twitter has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveRule {
    pub id: String,
    pub value: String,
    #[serde(default)]
    pub tag: Option<String>,
}

/// Rule limits of the app's access tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleLimits {
    pub max_rules: usize,
    pub max_value_chars: usize,
}

/// The rules the watch list asks for, and what did not fit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredRules {
    pub rules: Vec<RuleSpec>,
    /// Rooms left without a rule because `max_rules` was reached.
    pub rooms_without_rule: Vec<RoomId>,
    /// (room, hashtag) pairs cut to keep a value within `max_value_chars`.
    pub dropped_tags: Vec<(RoomId, String)>,
}

/// Builds the rule set for a watch list.
pub fn desired_rules(list: &WatchList, limits: RuleLimits) -> DesiredRules {
    // Group rooms by their exact tag set: identical values must be one rule.
    let mut groups: BTreeMap<&BTreeSet<String>, Vec<RoomId>> = BTreeMap::new();
    for (room, tags) in list.rooms() {
        groups.entry(tags).or_default().push(room);
    }
    let mut groups: Vec<(Vec<RoomId>, &BTreeSet<String>)> =
        groups.into_iter().map(|(tags, rooms)| (rooms, tags)).collect();
    // Oldest rooms (lowest ids) first, so a full rule table drops the newest.
    groups.sort_by_key(|(rooms, _)| rooms.first().copied());

    let mut out = DesiredRules::default();
    for (rooms, tags) in groups {
        if out.rules.len() >= limits.max_rules {
            out.rooms_without_rule.extend(rooms);
            continue;
        }
        let (value, dropped) = rule_value(tags, limits.max_value_chars);
        for tag in dropped {
            out.dropped_tags.extend(rooms.iter().map(|r| (*r, tag.clone())));
        }
        match value {
            Some(value) => out.rules.push(RuleSpec {
                value,
                tag: rule_tag(&rooms),
            }),
            None => out.rooms_without_rule.extend(rooms),
        }
    }
    out
}

/// `room:42` or `room:7,42`.
pub fn rule_tag(rooms: &[RoomId]) -> String {
    let ids: Vec<String> = rooms.iter().map(RoomId::to_string).collect();
    format!("{TAG_PREFIX}{}", ids.join(","))
}

/// The rooms a rule tag names; `None` for tags we did not make.
pub fn rooms_of_tag(tag: &str) -> Option<Vec<RoomId>> {
    let ids = tag.strip_prefix(TAG_PREFIX)?;
    ids.split(',').map(|id| id.trim().parse().ok()).collect()
}

/// The value for a tag set, keeping as many tags as fit; returns the dropped ones.
fn rule_value(tags: &BTreeSet<String>, max_chars: usize) -> (Option<String>, Vec<String>) {
    let tags: Vec<&String> = tags.iter().collect();
    for keep in (1..=tags.len()).rev() {
        let value = format_value(&tags[..keep]);
        if value.chars().count() <= max_chars {
            let dropped = tags[keep..].iter().map(|t| (*t).clone()).collect();
            return (Some(value), dropped);
        }
    }
    (None, tags.into_iter().cloned().collect())
}

fn format_value(tags: &[&String]) -> String {
    match tags {
        [one] => format!("#{one}{SUFFIX}"),
        many => {
            let ors: Vec<String> = many.iter().map(|t| format!("#{t}")).collect();
            format!("({}){SUFFIX}", ors.join(" OR "))
        }
    }
}

/// What to send to Twitter: deletions first (frees room in the rule table), then additions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesPlan {
    pub delete_ids: Vec<String>,
    pub add: Vec<RuleSpec>,
}

impl RulesPlan {
    pub fn is_empty(&self) -> bool {
        self.delete_ids.is_empty() && self.add.is_empty()
    }
}

/// Keeps rules that match exactly (value and tag), deletes every other rule, adds the rest.
/// Rules we did not make are deleted too: the app's stream belongs to tm, and a foreign rule
/// would deliver tweets no room asked for.
pub fn plan(active: &[ActiveRule], desired: &[RuleSpec]) -> RulesPlan {
    let wanted: BTreeSet<&RuleSpec> = desired.iter().collect();
    let mut kept: BTreeSet<RuleSpec> = BTreeSet::new();
    let mut delete_ids = Vec::new();
    for rule in active {
        let spec = RuleSpec {
            value: rule.value.clone(),
            tag: rule.tag.clone().unwrap_or_default(),
        };
        if wanted.contains(&spec) && !kept.contains(&spec) {
            kept.insert(spec);
        } else {
            delete_ids.push(rule.id.clone());
        }
    }
    let add = desired.iter().filter(|d| !kept.contains(*d)).cloned().collect();
    RulesPlan { delete_ids, add }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: RuleLimits = RuleLimits {
        max_rules: 25,
        max_value_chars: 512,
    };

    fn active(id: &str, value: &str, tag: &str) -> ActiveRule {
        ActiveRule {
            id: id.into(),
            value: value.into(),
            tag: Some(tag.into()),
        }
    }

    #[test]
    fn one_rule_per_room_with_the_documented_shape() {
        let list = WatchList::from_rooms([(42, vec!["physics101", "optics"]), (7, vec!["chem"])]);
        let d = desired_rules(&list, LIMITS);
        assert_eq!(
            d.rules,
            vec![
                RuleSpec {
                    value: "#chem -is:retweet".into(),
                    tag: "room:7".into()
                },
                RuleSpec {
                    value: "(#optics OR #physics101) -is:retweet".into(),
                    tag: "room:42".into()
                },
            ]
        );
    }

    #[test]
    fn rooms_with_the_same_tags_share_a_rule_to_avoid_duplicate_rule() {
        let list = WatchList::from_rooms([(42, vec!["optics"]), (7, vec!["optics"])]);
        let d = desired_rules(&list, LIMITS);
        assert_eq!(d.rules.len(), 1);
        assert_eq!(d.rules[0].tag, "room:7,42");
        assert_eq!(rooms_of_tag("room:7,42"), Some(vec![7, 42]));
        assert_eq!(rooms_of_tag("someone-else"), None);
        assert_eq!(rooms_of_tag("room:x"), None);
    }

    #[test]
    fn long_values_keep_what_fits_and_report_the_rest() {
        let tags: Vec<String> = (0..60).map(|i| format!("tag{i:02}")).collect();
        let list = WatchList::from_rooms([(1, tags)]);
        let d = desired_rules(
            &list,
            RuleLimits {
                max_rules: 25,
                max_value_chars: 64,
            },
        );
        assert!(d.rules[0].value.chars().count() <= 64, "{}", d.rules[0].value);
        assert!(d.rules[0].value.starts_with("(#tag00 OR #tag01"));
        assert!(!d.dropped_tags.is_empty());
        assert!(d.dropped_tags.iter().all(|(room, _)| *room == 1));
    }

    #[test]
    fn past_max_rules_the_newest_rooms_get_none() {
        let list = WatchList::from_rooms((1..=5).map(|r| (r, vec![format!("t{r}")])));
        let d = desired_rules(
            &list,
            RuleLimits {
                max_rules: 3,
                max_value_chars: 512,
            },
        );
        assert_eq!(d.rules.len(), 3);
        assert_eq!(d.rooms_without_rule, vec![4, 5]);
    }

    #[test]
    fn plan_adds_missing_deletes_stale_and_keeps_matching() {
        let current = vec![
            active("1", "#chem -is:retweet", "room:7"),
            active("2", "#old -is:retweet", "room:9"),
            active("3", "#chem -is:retweet", "room:8"),
            ActiveRule {
                id: "4".into(),
                value: "cats".into(),
                tag: None,
            },
        ];
        let desired = vec![
            RuleSpec {
                value: "#chem -is:retweet".into(),
                tag: "room:7".into(),
            },
            RuleSpec {
                value: "#new -is:retweet".into(),
                tag: "room:10".into(),
            },
        ];
        let p = plan(&current, &desired);
        assert_eq!(p.delete_ids, vec!["2", "3", "4"]);
        assert_eq!(p.add, vec![desired[1].clone()]);
        assert!(plan(&[active("1", "#chem -is:retweet", "room:7")], &desired[..1]).is_empty());
    }
}

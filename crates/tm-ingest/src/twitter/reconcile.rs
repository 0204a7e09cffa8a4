//! Rule reconciliation: the watch list decides, Twitter's rule table follows.
//!
//! Runs once the watch list is complete (a snapshot or the state file is behind it), so a
//! restart never deletes every rule just because the CMS has not answered yet; then again
//! after every change, debounced. Each round costs at most three rule requests (list, delete,
//! add), spaced to stay under the app's 450-per-15-minutes budget.

use std::sync::atomic::Ordering::Relaxed;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::api::ApiError;
use super::rules::{desired_rules, plan, RuleSpec};
use super::source::TwitterSource;
use crate::backoff::{Disconnect, ReconnectPolicy};
use crate::watch::WatchList;

/// Rule values Twitter refused. Sending them again would fail the same way and spend the
/// app's rule-request budget, so they are skipped; the memory is bounded.
#[derive(Default)]
struct Rejected(std::collections::VecDeque<String>);

impl Rejected {
    const MAX: usize = 1_000;

    fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|v| v == value)
    }

    fn insert(&mut self, value: String) {
        if self.0.len() >= Self::MAX {
            self.0.pop_front();
        }
        self.0.push_back(value);
    }
}

impl TwitterSource {
    #[tracing::instrument(name = "twitter_rules", skip_all)]
    pub(super) async fn rules_loop(&self, stop: &CancellationToken) {
        let mut watch = self.watch.clone();
        let mut policy = ReconnectPolicy::new();
        let mut last_request: Option<Instant> = None;
        let mut rejected = Rejected::default();
        loop {
            let list = watch.borrow_and_update().clone();
            if list.is_complete() {
                match self.reconcile(&list, &mut last_request, &mut rejected, stop).await {
                    Ok(()) => policy.connected(),
                    Err(err) => {
                        let why = match &err {
                            ApiError::Http { status, .. } => Disconnect::Http(*status),
                            _ => Disconnect::Network,
                        };
                        let wait = policy.next_wait(why);
                        tracing::warn!(error = %err, wait_ms = wait.as_millis() as u64, "rule reconciliation failed; will retry");
                        tokio::select! {
                            _ = stop.cancelled() => return,
                            _ = tokio::time::sleep(wait) => continue,
                        }
                    }
                }
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                changed = watch.changed() => if changed.is_err() { return },
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(self.tuning.rules_debounce) => {}
            }
        }
    }

    /// Waits so rule requests stay under the app's rate limit.
    async fn pace(&self, last: &mut Option<Instant>, stop: &CancellationToken) {
        if let Some(at) = *last {
            let ready = at + self.tuning.rule_request_interval;
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep_until(ready) => {}
            }
        }
        *last = Some(Instant::now());
    }

    async fn reconcile(
        &self,
        list: &WatchList,
        last: &mut Option<Instant>,
        rejected: &mut Rejected,
        stop: &CancellationToken,
    ) -> Result<(), ApiError> {
        let desired = desired_rules(list, self.tuning.limits);
        if !desired.rooms_without_rule.is_empty() {
            tracing::warn!(rooms = ?desired.rooms_without_rule, max_rules = self.tuning.limits.max_rules,
                "rule limit reached: these rooms get no Twitter rule");
        }
        if !desired.dropped_tags.is_empty() {
            tracing::warn!(dropped = ?desired.dropped_tags, max_chars = self.tuning.limits.max_value_chars,
                "rule value too long: these hashtags are not followed on Twitter");
        }
        self.pace(last, stop).await;
        let active = self.api.list_rules().await?;
        let wanted: Vec<RuleSpec> = desired
            .rules
            .into_iter()
            .filter(|r| !rejected.contains(&r.value))
            .collect();
        let plan = plan(&active, &wanted);
        let mut count = active.len();
        if plan.is_empty() {
            self.metrics.twitter.rules.store(count as u64, Relaxed);
            return Ok(());
        }
        if !plan.delete_ids.is_empty() {
            self.pace(last, stop).await;
            let problems = self.api.delete_rules(&plan.delete_ids).await?;
            for p in &problems {
                tracing::warn!(title = %p.title, detail = %p.detail, "Twitter did not delete a rule");
            }
            count = count.saturating_sub(plan.delete_ids.len().saturating_sub(problems.len()));
        }
        if !plan.add.is_empty() {
            self.pace(last, stop).await;
            let outcome = self.api.add_rules(&plan.add).await?;
            for p in &outcome.rejected {
                self.metrics.twitter.rules_rejected.fetch_add(1, Relaxed);
                let value = p.value.clone().unwrap_or_default();
                let tag = plan.add.iter().find(|r| r.value == value).map(|r| r.tag.clone());
                tracing::warn!(%value, ?tag, title = %p.title, kind = %p.kind, detail = %p.detail,
                    details = ?p.details, "Twitter rejected a stream rule");
                // A duplicate resolves itself once the stale twin is deleted; anything else
                // (invalid syntax, too long) would fail again.
                if p.title != "DuplicateRule" {
                    rejected.insert(value);
                }
            }
            count += outcome.created.len();
        }
        self.metrics.twitter.rules.store(count as u64, Relaxed);
        tracing::info!(
            rules = count,
            deleted = plan.delete_ids.len(),
            added = plan.add.len(),
            "rules reconciled"
        );
        Ok(())
    }
}

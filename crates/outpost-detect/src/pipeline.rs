//! The scoring pipeline: every engine in order, indicators summed into a risk score.

use crate::indicator::Scored;
use crate::profile::ProfileEngine;
use crate::reload::RuleHandle;
use crate::static_engine::StaticEngine;
use outpost_core::Event;
use std::sync::Arc;

/// Something else that adds indicators (e.g. the STIX engine).
pub trait Engine: Send + Sync {
    /// Appends indicators and actions for the event.
    fn eval_into(&self, e: &Event, out: &mut Scored);
}

/// All engines in order: static lists (blacklist, whitelist), static (risky process, IOC, FIM),
/// rules and Sigma, profile, then extra engines (STIX).
pub struct Pipeline {
    static_engine: Option<StaticEngine>,
    rules: Option<Arc<RuleHandle>>,
    profiles: Option<Arc<ProfileEngine>>,
    extra: Vec<Box<dyn Engine>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("static", &self.static_engine)
            .field("rules", &self.rules.as_ref().map(|r| r.current().len()))
            .field("profiles", &self.profiles.is_some())
            .field("extra", &self.extra.len())
            .finish()
    }
}

impl Default for Pipeline {
    fn default() -> Self {
        Self::new()
    }
}

impl Pipeline {
    /// A pipeline with no engines.
    pub fn new() -> Pipeline {
        Pipeline {
            static_engine: None,
            rules: None,
            profiles: None,
            extra: Vec::new(),
        }
    }

    /// Adds the static engine.
    pub fn with_static(mut self, s: StaticEngine) -> Self {
        self.static_engine = Some(s);
        self
    }

    /// Adds the rules engine (native and Sigma rules, possibly hot-reloaded).
    pub fn with_rules(mut self, r: Arc<RuleHandle>) -> Self {
        self.rules = Some(r);
        self
    }

    /// Adds the profile engine.
    pub fn with_profiles(mut self, p: Arc<ProfileEngine>) -> Self {
        self.profiles = Some(p);
        self
    }

    /// Adds another engine (evaluated last).
    pub fn with_engine(mut self, e: Box<dyn Engine>) -> Self {
        self.extra.push(e);
        self
    }

    /// The rule handle, if any (for status and reload).
    pub fn rules(&self) -> Option<&Arc<RuleHandle>> {
        self.rules.as_ref()
    }

    /// The profile engine, if any.
    pub fn profiles(&self) -> Option<&Arc<ProfileEngine>> {
        self.profiles.as_ref()
    }

    /// Scores one event (correlation state in the default scope).
    pub fn score(&self, e: &Event) -> Scored {
        self.score_with("", e, None)
    }

    /// Scores one event of a tenant: Sigma correlation rules keep their state per tenant, and
    /// its IOCs are matched against `iocs` too (the tenant's intel: indicators differ per
    /// tenant, the engines do not).
    pub fn score_with(
        &self,
        tenant: &str,
        e: &Event,
        iocs: Option<&dyn crate::static_engine::IocLookup>,
    ) -> Scored {
        self.score_opts(tenant, e, iocs, &crate::rules::EvalOpts::default())
    }

    /// [`Pipeline::score_with`], with the rules engine's options (correlation token, or not
    /// feeding the correlations: see [`crate::rules::EvalOpts`]).
    pub fn score_opts(
        &self,
        tenant: &str,
        e: &Event,
        iocs: Option<&dyn crate::static_engine::IocLookup>,
        rules: &crate::rules::EvalOpts,
    ) -> Scored {
        let mut out = Scored::default();
        if let Some(s) = &self.static_engine {
            if s.lists(e, &mut out) {
                out.whitelisted = true;
                return out;
            }
            s.eval_into(e, &mut out);
            if let Some(i) = iocs {
                s.eval_iocs(i, e, &mut out);
            }
        }
        if let Some(r) = &self.rules {
            r.current().eval_into_opts(tenant, e, &mut out, rules);
        }
        if let Some(p) = &self.profiles {
            p.eval_into(e, &mut out);
        }
        for x in &self.extra {
            x.eval_into(e, &mut out);
        }
        out
    }
}

//! The scoring pipeline: every engine in order, indicators summed into a risk score.

use crate::indicator::Scored;
use crate::profile::{ProfileEngine, TenantProfiles};
use crate::reload::RuleHandle;
use crate::static_engine::StaticEngine;
use outpost_core::Event;
use std::sync::Arc;

#[cfg(feature = "stix")]
use crate::stix::StixPatterns;

/// Something else that adds indicators (e.g. the STIX engine).
pub trait Engine: Send + Sync {
    /// Appends indicators and actions for the event.
    fn eval_into(&self, e: &Event, out: &mut Scored);
}

/// All engines in order: static lists (blacklist, whitelist), static (risky process, IOC, FIM),
/// rules and Sigma, profile, extra engines, the STIX patterns, then — for telemetry
/// ([`Pipeline::score_learning`]) — the tenant's behaviour profiles. A whitelisted event skips
/// every engine after the lists.
pub struct Pipeline {
    static_engine: Option<StaticEngine>,
    rules: Option<Arc<RuleHandle>>,
    profiles: Option<Arc<ProfileEngine>>,
    extra: Vec<Box<dyn Engine>>,
    #[cfg(feature = "stix")]
    stix: Option<Arc<StixPatterns>>,
    tenant_profiles: Option<Arc<TenantProfiles>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("static", &self.static_engine)
            .field("rules", &self.rules.as_ref().map(|r| r.current().len()))
            .field("profiles", &self.profiles.is_some())
            .field("extra", &self.extra.len())
            .field("tenant_profiles", &self.tenant_profiles.is_some())
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
            #[cfg(feature = "stix")]
            stix: None,
            tenant_profiles: None,
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

    /// Adds the reloadable STIX indicator patterns (after the extra engines).
    #[cfg(feature = "stix")]
    pub fn with_stix(mut self, s: Arc<StixPatterns>) -> Self {
        self.stix = Some(s);
        self
    }

    /// Adds per-tenant behaviour profiles, which learn from and score the events of
    /// [`Pipeline::score_learning`] only.
    pub fn with_tenant_profiles(mut self, p: Arc<TenantProfiles>) -> Self {
        self.tenant_profiles = Some(p);
        self
    }

    /// The STIX patterns, if any.
    #[cfg(feature = "stix")]
    pub fn stix(&self) -> Option<&Arc<StixPatterns>> {
        self.stix.as_ref()
    }

    /// The per-tenant behaviour profiles, if any.
    pub fn tenant_profiles(&self) -> Option<&Arc<TenantProfiles>> {
        self.tenant_profiles.as_ref()
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
        #[cfg(feature = "stix")]
        if let Some(s) = &self.stix {
            s.eval_tenant_into(Some(tenant), e, &mut out);
        }
        out
    }

    /// [`Pipeline::score_opts`] for a tenant's telemetry: its behaviour profiles (see
    /// [`Pipeline::with_tenant_profiles`]) learn from the event and score it too. Events that
    /// are not the tenant's own behaviour (hits' sample events: intel matches) must not be
    /// learned, so they go through [`Pipeline::score_opts`].
    pub fn score_learning(
        &self,
        tenant: &str,
        e: &Event,
        iocs: Option<&dyn crate::static_engine::IocLookup>,
        rules: &crate::rules::EvalOpts,
    ) -> Scored {
        let mut out = self.score_opts(tenant, e, iocs, rules);
        self.learn_into(tenant, e, &mut out);
        out
    }

    /// The last engine of [`Pipeline::score_learning`] alone: the tenant's behaviour profiles
    /// learn from the event and score it (nothing for a whitelisted one).
    pub fn learn_into(&self, tenant: &str, e: &Event, out: &mut Scored) {
        if !out.whitelisted
            && let Some(p) = &self.tenant_profiles
        {
            p.eval_into(tenant, e, out);
        }
    }
}

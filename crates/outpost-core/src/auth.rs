//! Who is calling: the authenticated principal every API handler sees.
//!
//! The server's authentication layer turns a device token, an API key or a UI session into a
//! [`Principal`] and puts it into the request's extensions; handlers (including routers that
//! other crates contribute, such as the job API) authorize with it and never look at raw
//! credentials.

use serde::{Deserialize, Serialize};

/// A role. Technicians and admins see all tenants; customers and devices only their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages tenants, users and keys; sees everything.
    Admin,
    /// MSP technician: all tenants, full detail.
    Technician,
    /// A customer's user: own tenant only, simplified fields.
    Customer,
    /// An enrolled agent: its own device only.
    Device,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Principal {
    pub role: Role,
    /// User id, API key id or device id.
    pub subject: String,
    /// The tenant the principal is bound to; `None` for admins and technicians (all tenants).
    pub tenant_id: Option<String>,
}

impl Principal {
    /// True when the principal may read or act on data of `tenant_id`.
    pub fn can_access_tenant(&self, tenant_id: &str) -> bool {
        match self.role {
            Role::Admin | Role::Technician => true,
            Role::Customer | Role::Device => self.tenant_id.as_deref() == Some(tenant_id),
        }
    }

    /// True for roles that see every tenant and full detail.
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Technician)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_scoping() {
        let c = Principal {
            role: Role::Customer,
            subject: "u1".into(),
            tenant_id: Some("a".into()),
        };
        assert!(c.can_access_tenant("a"));
        assert!(!c.can_access_tenant("b"));
        let d = Principal {
            role: Role::Device,
            subject: "d1".into(),
            tenant_id: None,
        };
        assert!(!d.can_access_tenant("a"), "an unbound device sees nothing");
        let t = Principal {
            role: Role::Technician,
            subject: "u2".into(),
            tenant_id: None,
        };
        assert!(t.can_access_tenant("b") && t.is_staff());
    }
}

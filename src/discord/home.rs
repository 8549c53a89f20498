//! Which server's staff may use the staff commands: the home server. It is
//! the configured `guild_id`; without one, the server the configured staff
//! role belongs to (a role belongs to exactly one server: a member who has
//! it is in that server, and any other server is asked of Discord once,
//! `GET /guilds/{id}/roles`, and remembered). With neither configured there
//! is no home server and the staff commands are refused to everyone, so a
//! member who manages some other server that has the bot never reads this
//! one's records. Inside the home server, staff are members with the staff
//! role or the Manage Server permission ([`is_staff`]); what they are shown
//! is the home server's records and the direct messages ([`Scope`]).

use std::collections::HashSet;
use std::sync::Mutex;

use serenity::all::{GuildId, Http, Member, RoleId};
use tracing::{info, warn};

use super::rest;
use crate::records::Scope;

/// Most servers remembered as not holding the staff role: far more than
/// one bot's servers, and a bound on the memory they can take.
const ELSEWHERE_CAPACITY: usize = 10_000;

/// What the staff check decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Staff of the home server: may see `Scope`.
    Staff(Scope),
    /// Not staff of the home server.
    Refused,
    /// Neither `guild_id` nor `staff_role` is configured: nobody is staff.
    Unconfigured,
}

/// Whether a member is staff within their own server: has the staff role,
/// or the Manage Server (or Administrator) permission there. Outside a
/// server (no member) nobody is. Which server that is, is [`Home`]'s part.
pub fn is_staff(member: Option<&Member>, staff_role: Option<u64>) -> bool {
    let Some(member) = member else {
        return false;
    };
    let by_permission = member
        .permissions
        .is_some_and(|p| p.manage_guild() || p.administrator());
    by_permission || has_role(member, staff_role)
}

fn has_role(member: &Member, role: Option<u64>) -> bool {
    role.is_some_and(|r| member.roles.contains(&RoleId::new(r)))
}

/// The home server, configured or found.
pub struct Home {
    guild_id: Option<u64>,
    staff_role: Option<u64>,
    /// The staff role's server, once known.
    found: Mutex<Option<u64>>,
    /// Servers found not to hold the staff role.
    elsewhere: Mutex<HashSet<u64>>,
}

impl Home {
    pub fn new(guild_id: Option<u64>, staff_role: Option<u64>) -> Home {
        Home {
            guild_id,
            staff_role,
            found: Mutex::new(None),
            elsewhere: Mutex::new(HashSet::new()),
        }
    }

    /// Decides whether `member`, using a command in `guild`, is staff of
    /// the home server.
    pub async fn check(
        &self,
        http: &Http,
        guild: Option<GuildId>,
        member: Option<&Member>,
    ) -> Decision {
        if self.guild_id.is_none() && self.staff_role.is_none() {
            return Decision::Unconfigured;
        }
        let (Some(guild), Some(member)) = (guild, member) else {
            return Decision::Refused;
        };
        if !is_staff(Some(member), self.staff_role) {
            return Decision::Refused;
        }
        let home = match (self.guild_id, self.staff_role) {
            (Some(home), _) => home,
            (None, Some(role)) if has_role(member, Some(role)) => self.remember(guild.get()),
            (None, Some(role)) => match self.role_server(http, guild, role).await {
                Some(home) => home,
                None => return Decision::Refused,
            },
            (None, None) => return Decision::Unconfigured,
        };
        if guild.get() == home {
            Decision::Staff(Scope { home })
        } else {
            Decision::Refused
        }
    }

    /// Notes `guild` as the staff role's server; returns the home server.
    fn remember(&self, guild: u64) -> u64 {
        let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        if found.is_none() {
            info!(guild, "the staff role's server is the home server");
        }
        *found.get_or_insert(guild)
    }

    /// The staff role's server when `guild` is it (or it is already known);
    /// `None` when `guild` does not hold the role or Discord cannot say.
    async fn role_server(&self, http: &Http, guild: GuildId, role: u64) -> Option<u64> {
        if let Some(home) = *self.found.lock().unwrap_or_else(|e| e.into_inner()) {
            return Some(home);
        }
        let g = guild.get();
        if self
            .elsewhere
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&g)
        {
            return None;
        }
        match rest::send(|| http.get_guild_roles(guild)).await {
            Ok(roles) if roles.iter().any(|r| r.id.get() == role) => Some(self.remember(g)),
            Ok(_) => {
                let mut elsewhere = self.elsewhere.lock().unwrap_or_else(|e| e.into_inner());
                if elsewhere.len() >= ELSEWHERE_CAPACITY {
                    elsewhere.clear();
                }
                elsewhere.insert(g);
                None
            }
            Err(f) => {
                warn!(guild = g, error = %f, "cannot read the server's roles to find the staff role; staff command refused");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serenity::all::Permissions;

    fn member(permissions: u64, roles: &[u64]) -> Member {
        serde_json::from_value(serde_json::json!({
            "user": {"id": "5", "username": "u", "discriminator": "0", "avatar": null},
            "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "deaf": false, "mute": false, "flags": 0,
            "guild_id": "1",
            "permissions": permissions.to_string(),
        }))
        .unwrap()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any permissions but Manage Server and Administrator, any roles
        /// but the staff role: refused.
        #[test]
        fn only_staff_pass_the_staff_check(
            bits in proptest::prelude::any::<u64>(),
            roles in proptest::collection::vec(1u64..1_000_000, 0..8),
            staff in 1u64..1_000_000,
        ) {
            let staff_bits = (Permissions::MANAGE_GUILD | Permissions::ADMINISTRATOR).bits();
            let others = bits & !staff_bits;
            let roles: Vec<u64> = roles.into_iter().filter(|r| *r != staff).collect();
            proptest::prop_assert!(!is_staff(Some(&member(others, &roles)), Some(staff)));
            proptest::prop_assert!(!is_staff(Some(&member(others, &roles)), None));
            let mut with_role = roles.clone();
            with_role.push(staff);
            proptest::prop_assert!(is_staff(Some(&member(others, &with_role)), Some(staff)));
            let manage = others | Permissions::MANAGE_GUILD.bits();
            proptest::prop_assert!(is_staff(Some(&member(manage, &roles)), Some(staff)));
            let admin = others | Permissions::ADMINISTRATOR.bits();
            proptest::prop_assert!(is_staff(Some(&member(admin, &roles)), None));
        }
    }

    #[test]
    fn nobody_is_staff_outside_a_guild() {
        assert!(!is_staff(None, Some(7)));
    }

    const MANAGE: u64 = Permissions::MANAGE_GUILD.bits();

    fn decide(home: &Home, guild: u64, m: &Member) -> Decision {
        let http = Http::new("unused");
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(home.check(&http, Some(GuildId::new(guild)), Some(m)))
    }

    #[test]
    fn manage_server_counts_only_in_the_home_server() {
        let configured = Home::new(Some(10), Some(7));
        let home = Decision::Staff(Scope { home: 10 });
        assert_eq!(decide(&configured, 10, &member(MANAGE, &[])), home);
        assert_eq!(
            decide(&configured, 20, &member(MANAGE, &[])),
            Decision::Refused
        );
        assert_eq!(decide(&configured, 10, &member(0, &[7])), home);
        assert_eq!(decide(&configured, 10, &member(0, &[])), Decision::Refused);

        // The staff role's server, learnt from a member who has the role:
        // Manage Server elsewhere is refused without asking Discord.
        let by_role = Home::new(None, Some(7));
        assert_eq!(decide(&by_role, 10, &member(0, &[7])), home);
        assert_eq!(
            decide(&by_role, 20, &member(MANAGE, &[])),
            Decision::Refused
        );
        assert_eq!(decide(&by_role, 10, &member(MANAGE, &[])), home);

        let neither = Home::new(None, None);
        for guild in [10, 20] {
            let d = decide(&neither, guild, &member(MANAGE, &[]));
            assert_eq!(d, Decision::Unconfigured);
        }
    }
}

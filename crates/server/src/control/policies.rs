//! Playback restriction policies: Create, Get, Update, Delete (refused while a channel uses one), List.
//! `allowedCountries` are ISO 3166-1 alpha-2 codes; `allowedOrigins` are `Origin` header values.

use super::*;
use openivs_model::*;

/// The officially assigned ISO 3166-1 alpha-2 codes (249, sorted), which the model's documentation
/// names as the allowed values; from the public-domain `iso3166.tab` of the tz database (ISO/TC 46
/// N1108, 2023-04-05).
const COUNTRIES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA",
    "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV",
    "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU",
    "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES",
    "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM",
    "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE",
    "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM",
    "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY",
    "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT",
    "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU",
    "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA",
    "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM",
    "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL",
    "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE",
    "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Every country must be an officially assigned ISO 3166-1 alpha-2 code (upper case, as ISO writes them).
fn check_countries(countries: &[String]) -> DomainResult<()> {
    match countries.iter().find(|c| COUNTRIES.binary_search(&c.as_str()).is_err()) {
        Some(bad) => Err(DomainError::Validation(format!(
            "allowedCountries must hold officially assigned ISO 3166-1 alpha-2 codes such as \"US\"; got {bad:?}"
        ))),
        None => Ok(()),
    }
}

/// An origin is `scheme://host[:port]`, as browsers send it in `Origin` (no path, no spaces, and a
/// port, when there is one, is a number).
fn check_origins(origins: &[String]) -> DomainResult<()> {
    let port_ok = |host_port: &str| match host_port.rsplit_once(':') {
        // `[::1]` alone has colons but no port; `[::1]:8080` and `host:8080` have one.
        Some((host, port)) if !host.starts_with('[') || host.ends_with(']') => {
            !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
        }
        _ => true,
    };
    let valid = |o: &str| {
        o.split_once("://").is_some_and(|(scheme, rest)| {
            !scheme.is_empty()
                && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                && !rest.is_empty()
                && !rest.contains('/')
                && !rest.bytes().any(|b| b.is_ascii_whitespace())
                && port_ok(rest)
        })
    };
    match origins.iter().find(|o| !valid(o)) {
        Some(bad) => Err(DomainError::Validation(format!(
            "allowedOrigins must hold origins such as \"https://example.com\"; got {bad:?}"
        ))),
        None => Ok(()),
    }
}

impl Service {
    fn policy_view(&self, r: &Record) -> DomainResult<PlaybackRestrictionPolicy> {
        let mut p: PlaybackRestrictionPolicy = doc(r)?;
        p.arn = Some(r.arn.clone());
        p.tags = Some(r.tags.clone());
        Ok(p)
    }

    /// `CreatePlaybackRestrictionPolicy`.
    pub async fn create_playback_restriction_policy(
        &self,
        ctx: &Ctx,
        input: CreatePlaybackRestrictionPolicyRequest,
    ) -> DomainResult<CreatePlaybackRestrictionPolicyResponse> {
        let p = PlaybackRestrictionPolicy {
            allowed_countries: Some(input.allowed_countries.unwrap_or_default()),
            allowed_origins: Some(input.allowed_origins.unwrap_or_default()),
            enable_strict_origin_enforcement: Some(input.enable_strict_origin_enforcement.unwrap_or(false)),
            name: Some(input.name.unwrap_or_default()),
            ..Default::default()
        };
        check_countries(p.allowed_countries.as_deref().unwrap_or_default())?;
        check_origins(p.allowed_origins.as_deref().unwrap_or_default())?;
        let mut rec = self.new_record(ctx, ResourceType::PlaybackRestrictionPolicy, p.name.clone(), &p)?;
        rec.tags = create_tags(input.tags)?;
        let r = self.insert(rec, None).await?;
        Ok(CreatePlaybackRestrictionPolicyResponse {
            playback_restriction_policy: Some(self.policy_view(&r)?),
        })
    }

    /// `GetPlaybackRestrictionPolicy`.
    pub async fn get_playback_restriction_policy(
        &self,
        ctx: &Ctx,
        input: GetPlaybackRestrictionPolicyRequest,
    ) -> DomainResult<GetPlaybackRestrictionPolicyResponse> {
        let r = self
            .load(ctx, ResourceType::PlaybackRestrictionPolicy, input.arn.as_deref().unwrap_or_default())
            .await?;
        Ok(GetPlaybackRestrictionPolicyResponse { playback_restriction_policy: Some(self.policy_view(&r)?) })
    }

    /// `UpdatePlaybackRestrictionPolicy`: members present change, absent ones stay.
    pub async fn update_playback_restriction_policy(
        &self,
        ctx: &Ctx,
        input: UpdatePlaybackRestrictionPolicyRequest,
    ) -> DomainResult<UpdatePlaybackRestrictionPolicyResponse> {
        let arn = input.arn.unwrap_or_default();
        let r = self.load(ctx, ResourceType::PlaybackRestrictionPolicy, &arn).await?;
        let mut p: PlaybackRestrictionPolicy = doc(&r)?;
        if let Some(c) = input.allowed_countries {
            check_countries(&c)?;
            p.allowed_countries = Some(c);
        }
        if let Some(o) = input.allowed_origins {
            check_origins(&o)?;
            p.allowed_origins = Some(o);
        }
        if let Some(s) = input.enable_strict_origin_enforcement {
            p.enable_strict_origin_enforcement = Some(s);
        }
        if let Some(n) = input.name {
            p.name = Some(n);
        }
        let update =
            crate::store::Update { name: p.name.clone(), refs: None, doc: Some(serde_json::to_string(&p)?) };
        let r = self.store.update(&ctx.scope, &arn, update).await?;
        Ok(UpdatePlaybackRestrictionPolicyResponse {
            playback_restriction_policy: Some(self.policy_view(&r)?),
        })
    }

    /// `DeletePlaybackRestrictionPolicy`.
    pub async fn delete_playback_restriction_policy(
        &self,
        ctx: &Ctx,
        input: DeletePlaybackRestrictionPolicyRequest,
    ) -> DomainResult<()> {
        self.delete_record(
            ctx,
            ResourceType::PlaybackRestrictionPolicy,
            input.arn.as_deref().unwrap_or_default(),
        )
        .await
    }

    /// `ListPlaybackRestrictionPolicies` (default page size 1, as the model documents).
    pub async fn list_playback_restriction_policies(
        &self,
        ctx: &Ctx,
        input: ListPlaybackRestrictionPoliciesRequest,
    ) -> DomainResult<ListPlaybackRestrictionPoliciesResponse> {
        let (records, next) = self
            .page(
                ctx,
                Listing {
                    op: Operation::ListPlaybackRestrictionPolicies,
                    kind: ResourceType::PlaybackRestrictionPolicy,
                    default_page: 1,
                },
                Filter::All,
                input.next_token.as_deref(),
                input.max_results,
            )
            .await?;
        let items = records.iter().map(|r| summary(&self.policy_view(r)?)).collect::<DomainResult<_>>()?;
        Ok(ListPlaybackRestrictionPoliciesResponse {
            playback_restriction_policies: Some(items),
            next_token: next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn countries_are_assigned_alpha_2_codes() {
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]), "sorted for binary search");
        assert!(check_countries(&strings(&["US", "DE", "GB", "AX", "ZW"])).is_ok());
        for bad in ["us", "XX", "ZZ", "EU", "USA", "U", ""] {
            assert!(check_countries(&strings(&[bad])).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_are_scheme_host_and_optional_port() {
        let ok = ["https://example.com", "http://localhost:3000", "https://[::1]", "http://[::1]:8080"];
        assert!(check_origins(&strings(&ok)).is_ok());
        let bad = [
            "example.com",
            "https://example.com/",
            "https://a b",
            "https://",
            "https://x:http",
            "https://x:0",
            "http://:80",
            "",
        ];
        for o in bad {
            assert!(check_origins(&strings(&[o])).is_err(), "{o}");
        }
    }
}

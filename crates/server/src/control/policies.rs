//! Playback restriction policies: Create, Get, Update, Delete (refused while a channel uses one), List.
//! `allowedCountries` are ISO 3166-1 alpha-2 codes; `allowedOrigins` are `Origin` header values.

use super::*;
use openivs_model::*;

/// Country codes are two capital letters (the model only says "length 2").
fn check_countries(countries: &[String]) -> DomainResult<()> {
    match countries.iter().find(|c| !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))) {
        Some(bad) => Err(DomainError::Validation(format!(
            "allowedCountries must hold ISO 3166-1 alpha-2 codes such as \"US\"; got {bad:?}"
        ))),
        None => Ok(()),
    }
}

/// An origin is `scheme://host[:port]`, as browsers send it in `Origin` (no path, no spaces).
fn check_origins(origins: &[String]) -> DomainResult<()> {
    let valid = |o: &str| {
        o.split_once("://").is_some_and(|(scheme, rest)| {
            !scheme.is_empty()
                && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                && !rest.is_empty()
                && !rest.contains('/')
                && !rest.bytes().any(|b| b.is_ascii_whitespace())
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
                Operation::ListPlaybackRestrictionPolicies,
                ResourceType::PlaybackRestrictionPolicy,
                Filter::All,
                input.next_token.as_deref(),
                input.max_results,
                1,
            )
            .await?;
        let items = records.iter().map(|r| summary(&self.policy_view(r)?)).collect::<DomainResult<_>>()?;
        Ok(ListPlaybackRestrictionPoliciesResponse {
            playback_restriction_policies: Some(items),
            next_token: next,
        })
    }
}

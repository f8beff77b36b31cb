//! Ad configurations (MediaTailor integrations): Create, Get, Update, Delete (refused while a channel
//! uses one), List; and InsertAdBreak on a live channel that has one.

use super::*;
use openivs_model::*;

/// The documented default post-roll: "disabled (`enabled` set to false, `durationSeconds` set to 15)".
fn default_post_roll() -> PostRollConfiguration {
    PostRollConfiguration { duration_seconds: Some(15), enabled: Some(false) }
}

/// Each MediaTailor playback configuration must name one "in the same region and account" (model
/// doc); the model checks the ARN's shape but does not require it, so an item without one is refused here.
fn check_media_tailor(ctx: &Ctx, list: &[MediaTailorPlaybackConfiguration]) -> DomainResult<()> {
    for (i, m) in list.iter().enumerate() {
        let at = format!("mediaTailorPlaybackConfigurations.{i}.playbackConfigurationArn");
        let arn = non_empty(m.playback_configuration_arn.as_ref())
            .ok_or_else(|| DomainError::Validation(format!("{at} is required")))?;
        // arn:aws:mediatailor:<region>:<account>:playbackConfiguration/<name>, as the model's pattern checked.
        let mut parts = arn.split(':').skip(3);
        let (region, account) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        if region != ctx.scope.region || account != ctx.scope.account {
            return Err(DomainError::Validation(format!(
                "{at} must name a MediaTailor playback configuration in the same region and account \
                 ({}, {}); got {arn}",
                ctx.scope.region, ctx.scope.account
            )));
        }
    }
    Ok(())
}

impl Service {
    fn ad_view(&self, r: &Record) -> DomainResult<AdConfiguration> {
        let mut a: AdConfiguration = doc(r)?;
        a.arn = Some(r.arn.clone());
        // A document stored without a post-roll reads back with the default.
        a.post_roll_configuration.get_or_insert_with(default_post_roll);
        a.tags = Some(r.tags.clone());
        Ok(a)
    }

    /// `CreateAdConfiguration`.
    pub async fn create_ad_configuration(
        &self,
        ctx: &Ctx,
        input: CreateAdConfigurationRequest,
    ) -> DomainResult<CreateAdConfigurationResponse> {
        check_media_tailor(ctx, input.media_tailor_playback_configurations.as_deref().unwrap_or_default())?;
        let a = AdConfiguration {
            name: Some(input.name.unwrap_or_default()),
            media_tailor_playback_configurations: input.media_tailor_playback_configurations,
            post_roll_configuration: Some(input.post_roll_configuration.unwrap_or_else(default_post_roll)),
            ..Default::default()
        };
        let mut rec = self.new_record(ctx, ResourceType::AdConfiguration, a.name.clone(), &a)?;
        rec.tags = create_tags(input.tags)?;
        let r = self.insert(rec, None).await?;
        Ok(CreateAdConfigurationResponse { ad_configuration: Some(self.ad_view(&r)?) })
    }

    /// `GetAdConfiguration`.
    pub async fn get_ad_configuration(
        &self,
        ctx: &Ctx,
        input: GetAdConfigurationRequest,
    ) -> DomainResult<GetAdConfigurationResponse> {
        let r =
            self.load(ctx, ResourceType::AdConfiguration, input.arn.as_deref().unwrap_or_default()).await?;
        Ok(GetAdConfigurationResponse { ad_configuration: Some(self.ad_view(&r)?) })
    }

    /// `UpdateAdConfiguration`: members present change, absent ones stay.
    pub async fn update_ad_configuration(
        &self,
        ctx: &Ctx,
        input: UpdateAdConfigurationRequest,
    ) -> DomainResult<UpdateAdConfigurationResponse> {
        let arn = input.arn.unwrap_or_default();
        let r = self.load(ctx, ResourceType::AdConfiguration, &arn).await?;
        let mut a: AdConfiguration = doc(&r)?;
        if let Some(n) = input.name {
            a.name = Some(n);
        }
        if let Some(m) = input.media_tailor_playback_configurations {
            check_media_tailor(ctx, &m)?;
            a.media_tailor_playback_configurations = Some(m);
        }
        if let Some(p) = input.post_roll_configuration {
            a.post_roll_configuration = Some(p);
        }
        let update =
            crate::store::Update { name: a.name.clone(), refs: None, doc: Some(serde_json::to_string(&a)?) };
        let r = self.store.update(&ctx.scope, &arn, update).await?;
        Ok(UpdateAdConfigurationResponse { ad_configuration: Some(self.ad_view(&r)?) })
    }

    /// `DeleteAdConfiguration`.
    pub async fn delete_ad_configuration(
        &self,
        ctx: &Ctx,
        input: DeleteAdConfigurationRequest,
    ) -> DomainResult<()> {
        self.delete_record(ctx, ResourceType::AdConfiguration, input.arn.as_deref().unwrap_or_default()).await
    }

    /// `ListAdConfigurations`.
    pub async fn list_ad_configurations(
        &self,
        ctx: &Ctx,
        input: ListAdConfigurationsRequest,
    ) -> DomainResult<ListAdConfigurationsResponse> {
        let (records, next) = self
            .page(
                ctx,
                Listing {
                    op: Operation::ListAdConfigurations,
                    kind: ResourceType::AdConfiguration,
                    default_page: 100,
                },
                Filter::All,
                input.next_token.as_deref(),
                input.max_results,
            )
            .await?;
        let items = records.iter().map(|r| summary(&self.ad_view(r)?)).collect::<DomainResult<_>>()?;
        Ok(ListAdConfigurationsResponse { ad_configurations: Some(items), next_token: next })
    }

    /// `InsertAdBreak`: needs a channel with an ad configuration, live.
    pub async fn insert_ad_break(
        &self,
        ctx: &Ctx,
        input: InsertAdBreakRequest,
    ) -> DomainResult<InsertAdBreakResponse> {
        let arn = input.channel_arn.unwrap_or_default();
        let r = self.load(ctx, ResourceType::Channel, &arn).await?;
        let c: Channel = doc(&r)?;
        if non_empty(c.ad_configuration_arn.as_ref()).is_none() {
            return Err(DomainError::Conflict(format!(
                "Channel {arn} has no ad configuration; set adConfigurationArn first"
            )));
        }
        if self.live.get(&arn).is_none() {
            return Err(DomainError::NotBroadcasting(format!("Channel {arn} is not live")));
        }
        // Ad insertion into the live stream comes with the playback side; until then a live channel
        // accepts the break and reports when it was scheduled.
        let start = input.target_start_at.unwrap_or_else(Timestamp::now);
        Ok(InsertAdBreakResponse {
            ad_break_id: Some(input.ad_break_id.unwrap_or_else(ids::resource_id)),
            target_start_at: Some(start),
        })
    }
}

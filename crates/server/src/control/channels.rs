//! Channels: CreateChannel (with its stream key), GetChannel, BatchGetChannel, UpdateChannel,
//! DeleteChannel, ListChannels. The defaults are those real IVS returns (ivs-behaviour.md §2): unset
//! ARNs and `preset` are `""`, `tags` is `{}`, multitrack input is reported disabled.

use super::*;
use crate::store::Filter;
use openivs_model::*;

impl Service {
    /// The channel as the API returns it: stored fields, then the ARN, URLs and tags.
    pub(super) fn channel_view(&self, r: &Record) -> DomainResult<Channel> {
        let mut c: Channel = doc(r)?;
        c.arn = Some(r.arn.clone());
        c.ingest_endpoint = Some(self.urls.ingest_endpoint.clone());
        c.playback_url = Some(format!(
            "{}/api/video/v1/{}.{}.channel.{}.m3u8",
            self.urls.playback_base, r.scope.region, r.scope.account, r.id
        ));
        let passphrase = c.srt.take().and_then(|s| s.passphrase);
        c.srt = Some(Srt { endpoint: Some(self.urls.srt_endpoint.clone()), passphrase });
        c.tags = Some(r.tags.clone());
        Ok(c)
    }

    fn channel_summary(&self, r: &Record) -> DomainResult<ChannelSummary> {
        summary(&self.channel_view(r)?)
    }

    /// `CreateChannel`: the channel and its stream key, created together.
    pub async fn create_channel(
        &self,
        ctx: &Ctx,
        input: CreateChannelRequest,
    ) -> DomainResult<CreateChannelResponse> {
        let preset_given = input.preset.is_some();
        let mut c = Channel {
            name: Some(input.name.unwrap_or_default()),
            latency_mode: Some(input.latency_mode.unwrap_or(ChannelLatencyMode::Low)),
            r#type: Some(input.r#type.unwrap_or(ChannelType::Standard)),
            authorized: Some(input.authorized.unwrap_or(false)),
            insecure_ingest: Some(input.insecure_ingest.unwrap_or(false)),
            container_format: Some(input.container_format.unwrap_or(ContainerFormat::Ts)),
            recording_configuration_arn: Some(input.recording_configuration_arn.unwrap_or_default()),
            playback_restriction_policy_arn: Some(input.playback_restriction_policy_arn.unwrap_or_default()),
            ad_configuration_arn: Some(input.ad_configuration_arn.unwrap_or_default()),
            failover_slate_configuration_arn: Some(
                input.failover_slate_configuration_arn.unwrap_or_default(),
            ),
            multitrack_input_configuration: input.multitrack_input_configuration,
            preset: input.preset,
            srt: Some(Srt { endpoint: None, passphrase: Some(ids::srt_passphrase()) }),
            ..Default::default()
        };
        settle_channel(&mut c, preset_given)?;
        if let Some(arn) = non_empty(c.recording_configuration_arn.as_ref()) {
            self.require_active_recording(ctx, &arn).await?;
        }
        let mut rec = self.new_record(ctx, ResourceType::Channel, c.name.clone(), &c)?;
        rec.refs = channel_refs(&c);
        rec.tags = create_tags(input.tags)?;
        let key = self.new_stream_key_record(ctx, &rec.arn, BTreeMap::new())?;
        let mut out = self
            .store
            .insert(vec![rec, key], None)
            .await
            .map_err(|e| quota_error(e, ResourceType::Channel))?;
        let key = out.pop().ok_or_else(|| DomainError::Internal("stream key not inserted".into()))?;
        let channel = out.pop().ok_or_else(|| DomainError::Internal("channel not inserted".into()))?;
        Ok(CreateChannelResponse {
            channel: Some(self.channel_view(&channel)?),
            stream_key: Some(self.stream_key_view(&key)?),
        })
    }

    /// `GetChannel`.
    pub async fn get_channel(&self, ctx: &Ctx, input: GetChannelRequest) -> DomainResult<GetChannelResponse> {
        let r = self.load(ctx, ResourceType::Channel, input.arn.as_deref().unwrap_or_default()).await?;
        Ok(GetChannelResponse { channel: Some(self.channel_view(&r)?) })
    }

    /// `BatchGetChannel`: found channels, and a `BatchError` for each ARN that is not (each ARN once).
    pub async fn batch_get_channel(
        &self,
        ctx: &Ctx,
        input: BatchGetChannelRequest,
    ) -> DomainResult<BatchGetChannelResponse> {
        let arns = input.arns.unwrap_or_default();
        let found = self.store.get_many(&ctx.scope, &arns).await?;
        let mut channels = Vec::new();
        let mut errors = Vec::new();
        for arn in first_occurrences(&arns) {
            match found.iter().find(|r| r.arn == arn && r.kind == ResourceType::Channel) {
                Some(r) => channels.push(self.channel_view(r)?),
                None => errors.push(batch_not_found(ResourceType::Channel, arn)),
            }
        }
        Ok(BatchGetChannelResponse { channels: Some(channels), errors: Some(errors), ..Default::default() })
    }

    /// `UpdateChannel`: members present in the request change, absent ones stay.
    pub async fn update_channel(
        &self,
        ctx: &Ctx,
        input: UpdateChannelRequest,
    ) -> DomainResult<UpdateChannelResponse> {
        let arn = input.arn.clone().unwrap_or_default();
        let r = self.load(ctx, ResourceType::Channel, &arn).await?;
        if self.live.get(&arn).is_some() {
            return Err(DomainError::Conflict(format!(
                "Channel {arn} is live; live channels cannot be updated"
            )));
        }
        let mut c: Channel = doc(&r)?;
        let preset_given = input.preset.is_some();
        // Only a newly named configuration must be ACTIVE (renaming a channel whose configuration
        // failed later is not refused).
        let new_recording = non_empty(input.recording_configuration_arn.as_ref());
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = input.$f { c.$f = Some(v); })* };
        }
        set!(
            name,
            latency_mode,
            r#type,
            authorized,
            insecure_ingest,
            container_format,
            recording_configuration_arn,
            playback_restriction_policy_arn,
            ad_configuration_arn,
            failover_slate_configuration_arn,
            multitrack_input_configuration,
            preset
        );
        settle_channel(&mut c, preset_given)?;
        if let Some(arn) = new_recording {
            self.require_active_recording(ctx, &arn).await?;
        }
        let update = crate::store::Update {
            name: c.name.clone(),
            refs: Some(channel_refs(&c)),
            doc: Some(serde_json::to_string(&c)?),
        };
        let r = self
            .store
            .update(&ctx.scope, &arn, update)
            .await
            .map_err(|e| quota_error(e, ResourceType::Channel))?;
        Ok(UpdateChannelResponse { channel: Some(self.channel_view(&r)?) })
    }

    /// `DeleteChannel`: also deletes its stream key; refused while live.
    ///
    /// An encoder may be authorizing while this runs. Ingest registers the stream as live first and
    /// then checks that its key (and so the channel) still exists; here the live check comes first
    /// and the delete second, and after the delete any stream that went live in between is stopped.
    /// Whatever the interleaving, the channel either stays (409) or ends with no stream live on it.
    pub async fn delete_channel(&self, ctx: &Ctx, input: DeleteChannelRequest) -> DomainResult<()> {
        let arn = input.arn.unwrap_or_default();
        self.load(ctx, ResourceType::Channel, &arn).await?;
        if self.live.get(&arn).is_some() {
            return Err(DomainError::Conflict(format!(
                "Channel {arn} is live; stop the stream before deleting it"
            )));
        }
        self.delete_record(ctx, ResourceType::Channel, &arn).await?;
        if self.live.stop(&arn) {
            tracing::info!(channel = %arn, "a stream that went live while its channel was deleted was stopped");
        }
        Ok(())
    }

    /// `ListChannels`: at most one filter.
    pub async fn list_channels(
        &self,
        ctx: &Ctx,
        input: ListChannelsRequest,
    ) -> DomainResult<ListChannelsResponse> {
        let given: Vec<(&str, Filter)> = [
            ("filterByName", non_empty(input.filter_by_name.as_ref()).map(Filter::Name)),
            (
                "filterByRecordingConfigurationArn",
                non_empty(input.filter_by_recording_configuration_arn.as_ref()).map(Filter::Refers),
            ),
            (
                "filterByPlaybackRestrictionPolicyArn",
                non_empty(input.filter_by_playback_restriction_policy_arn.as_ref()).map(Filter::Refers),
            ),
            (
                "filterByAdConfigurationArn",
                non_empty(input.filter_by_ad_configuration_arn.as_ref()).map(Filter::Refers),
            ),
            (
                "filterByFailoverSlateConfigurationArn",
                non_empty(input.filter_by_failover_slate_configuration_arn.as_ref()).map(Filter::Refers),
            ),
        ]
        .into_iter()
        .filter_map(|(n, f)| f.map(|f| (n, f)))
        .collect();
        if given.len() > 1 {
            let names: Vec<&str> = given.iter().map(|(n, _)| *n).collect();
            return Err(DomainError::Conflict(format!(
                "Only one filter can be used at a time; got {}",
                names.join(", ")
            )));
        }
        let filter = given.into_iter().next().map(|(_, f)| f).unwrap_or(Filter::All);
        let (records, next) = self
            .page(
                ctx,
                Listing { op: Operation::ListChannels, kind: ResourceType::Channel, default_page: 100 },
                filter,
                input.next_token.as_deref(),
                input.max_results,
            )
            .await?;
        let channels = records.iter().map(|r| self.channel_summary(r)).collect::<DomainResult<_>>()?;
        Ok(ListChannelsResponse { channels: Some(channels), next_token: next })
    }
}

/// The ARNs of a batch request without repeats, in request order: a repeated ARN is reported once,
/// whether it is found or not.
pub(super) fn first_occurrences(arns: &[String]) -> impl Iterator<Item = &str> {
    let mut seen = std::collections::HashSet::new();
    arns.iter().map(String::as_str).filter(move |a| seen.insert(*a))
}

/// A `BatchError` for an ARN that was not found.
pub(super) fn batch_not_found(kind: ResourceType, arn: &str) -> BatchError {
    let DomainError::NotFound(message) = not_found(kind, arn) else {
        unreachable!("not_found builds NotFound")
    };
    BatchError {
        arn: Some(arn.to_owned()),
        code: Some("ResourceNotFoundException".into()),
        message: Some(message),
    }
}

/// The ARNs a channel references (each must exist; deleting them is refused while referenced).
fn channel_refs(c: &Channel) -> Vec<String> {
    [
        &c.recording_configuration_arn,
        &c.playback_restriction_policy_arn,
        &c.ad_configuration_arn,
        &c.failover_slate_configuration_arn,
    ]
    .into_iter()
    .filter_map(|a| non_empty(a.as_ref()))
    .collect()
}

/// Applies the rules that tie `type`, `preset`, multitrack input and `containerFormat` together.
/// `preset_given`: the request set `preset` (a stored one is reset when the type no longer takes it).
fn settle_channel(c: &mut Channel, preset_given: bool) -> DomainResult<()> {
    let ty = c.r#type.clone().unwrap_or(ChannelType::Standard);
    let advanced = matches!(ty, ChannelType::AdvancedSd | ChannelType::AdvancedHd);
    let preset_set = c.preset.as_ref().is_some_and(|p| !p.as_str().is_empty());
    if advanced && !preset_set {
        c.preset = Some(TranscodePreset::HigherBandwidthDelivery);
    } else if !advanced && preset_set && preset_given {
        return Err(DomainError::Validation(format!(
            "preset can be set only for ADVANCED_SD and ADVANCED_HD channels, not {ty}"
        )));
    } else if !advanced {
        // Real IVS reports an unset preset as the empty string.
        c.preset = Some(TranscodePreset::from(""));
    }
    let mt = c.multitrack_input_configuration.get_or_insert_with(Default::default);
    let enabled = *mt.enabled.get_or_insert(false);
    if enabled && ty != ChannelType::Standard {
        return Err(DomainError::Validation(format!(
            "multitrackInputConfiguration can be enabled only for STANDARD channels, not {ty}"
        )));
    }
    // The model: "If true, then policy, maximumResolution, and containerFormat are required".
    let missing: Vec<&str> =
        [("policy", mt.policy.is_none()), ("maximumResolution", mt.maximum_resolution.is_none())]
            .into_iter()
            .filter_map(|(member, absent)| absent.then_some(member))
            .collect();
    if enabled && !missing.is_empty() {
        return Err(DomainError::Validation(format!(
            "multitrackInputConfiguration.{} is required when multitrack input is enabled",
            missing.join(" and multitrackInputConfiguration.")
        )));
    }
    mt.policy.get_or_insert(MultitrackPolicy::Allow);
    mt.maximum_resolution.get_or_insert(MultitrackMaximumResolution::FullHd);
    if enabled && c.container_format != Some(ContainerFormat::FragmentedMp4) {
        return Err(DomainError::Validation(
            "containerFormat must be FRAGMENTED_MP4 when multitrackInputConfiguration is enabled".into(),
        ));
    }
    Ok(())
}

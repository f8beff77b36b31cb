//! Recording configurations: Create, Get, List, Delete (refused while a channel uses one). A new one
//! is CREATING until a probe write to its bucket succeeds (ACTIVE) or fails (CREATE_FAILED), as
//! IVS's are (ivs-recording-events.md §4); channels may only use ACTIVE ones. The recording itself is
//! `crate::recording`.

use super::*;
use openivs_model::*;
use std::time::Duration;

/// Checks that a recording destination can be written (the recorder's buckets, seen from control).
#[async_trait::async_trait]
pub trait DestinationCheck: Send + Sync {
    /// Writes a probe object to `bucket` for `account`; the error says why it failed.
    async fn check(&self, account: &str, bucket: &str) -> Result<(), String>;
}

/// How long CreateChannel/UpdateChannel wait for a CREATING configuration to settle.
const SETTLE_WAIT: Duration = Duration::from_secs(10);

impl Service {
    /// Starts the destination check of a CREATING configuration, unless one runs (after a restart, the
    /// first read of a configuration left CREATING starts it again).
    fn probe_recording(&self, r: &Record, c: &RecordingConfiguration) {
        let Some(check) = self.destinations.clone() else { return };
        if c.state != Some(RecordingConfigurationState::Creating) {
            return;
        }
        if !self.probing.lock().unwrap_or_else(|e| e.into_inner()).insert(r.arn.clone()) {
            return;
        }
        let bucket = c
            .destination_configuration
            .as_ref()
            .and_then(|d| d.s3.as_ref())
            .and_then(|s| s.bucket_name.clone())
            .unwrap_or_default();
        let (store, probing, scope, arn) =
            (self.store.clone(), self.probing.clone(), r.scope.clone(), r.arn.clone());
        // Stored as created: the ARN and tags live in the record, not the document.
        let mut settled = RecordingConfiguration { arn: None, tags: None, ..c.clone() };
        tokio::spawn(async move {
            let result = check.check(&scope.account, &bucket).await;
            settled.state = Some(match &result {
                Ok(()) => RecordingConfigurationState::Active,
                Err(why) => {
                    tracing::warn!(arn = %arn, bucket = %bucket, error = %why, "recording configuration CREATE_FAILED: its bucket could not be written");
                    RecordingConfigurationState::CreateFailed
                }
            });
            let doc = serde_json::to_string(&settled).unwrap_or_default();
            let update = crate::store::Update { name: None, refs: None, doc: Some(doc) };
            match store.update(&scope, &arn, update).await {
                // Deleted while its probe ran.
                Ok(_) | Err(crate::store::StoreError::NotFound(_)) => {}
                Err(e) => {
                    tracing::error!(arn = %arn, error = %e, "storing the recording configuration's state failed")
                }
            }
            probing.lock().unwrap_or_else(|e| e.into_inner()).remove(&arn);
        });
    }

    /// A channel may name only an ACTIVE recording configuration; a CREATING one is waited for a few
    /// seconds (a client that creates a configuration and then a channel at once, as the IVS
    /// documentation's walk-through does, should not fail because the probe is still running).
    pub(super) async fn require_active_recording(&self, ctx: &Ctx, arn: &str) -> DomainResult<()> {
        let deadline = tokio::time::Instant::now() + SETTLE_WAIT;
        loop {
            let r = self.load(ctx, ResourceType::RecordingConfiguration, arn).await?;
            let c: RecordingConfiguration = doc(&r)?;
            match c.state.clone().unwrap_or(RecordingConfigurationState::Active) {
                RecordingConfigurationState::Active => return Ok(()),
                RecordingConfigurationState::Creating if tokio::time::Instant::now() < deadline => {
                    self.probe_recording(&r, &c);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                state => {
                    return Err(DomainError::Validation(format!(
                        "recording configuration {arn} is {state}; a channel can use only an ACTIVE one"
                    )));
                }
            }
        }
    }

    pub(super) fn recording_view(&self, r: &Record) -> DomainResult<RecordingConfiguration> {
        let mut c: RecordingConfiguration = doc(r)?;
        c.arn = Some(r.arn.clone());
        c.tags = Some(r.tags.clone());
        Ok(c)
    }

    /// `CreateRecordingConfiguration`, with the documented defaults filled in.
    pub async fn create_recording_configuration(
        &self,
        ctx: &Ctx,
        input: CreateRecordingConfigurationRequest,
    ) -> DomainResult<CreateRecordingConfigurationResponse> {
        if input.destination_configuration.as_ref().and_then(|d| d.s3.as_ref()).is_none() {
            return Err(DomainError::Validation(
                "destinationConfiguration must contain an s3 destination".into(),
            ));
        }
        let mut thumbs = input.thumbnail_configuration.unwrap_or_default();
        let mode = thumbs.recording_mode.get_or_insert(RecordingMode::Interval).clone();
        if mode == RecordingMode::Interval {
            thumbs.target_interval_seconds.get_or_insert(60);
            thumbs.storage.get_or_insert_with(|| vec![ThumbnailConfigurationStorage::Sequential]);
        }
        let mut renditions = input.rendition_configuration.unwrap_or_default();
        let selection = renditions
            .rendition_selection
            .get_or_insert(RenditionConfigurationRenditionSelection::All)
            .clone();
        let list = renditions.renditions.get_or_insert_with(Vec::new);
        if selection == RenditionConfigurationRenditionSelection::Custom && list.is_empty() {
            return Err(DomainError::Validation(
                "renditionConfiguration.renditions is required when renditionSelection is CUSTOM".into(),
            ));
        }
        let c = RecordingConfiguration {
            name: Some(input.name.unwrap_or_default()),
            destination_configuration: input.destination_configuration,
            state: Some(if self.destinations.is_some() {
                RecordingConfigurationState::Creating
            } else {
                RecordingConfigurationState::Active
            }),
            thumbnail_configuration: Some(thumbs),
            recording_reconnect_window_seconds: Some(input.recording_reconnect_window_seconds.unwrap_or(0)),
            rendition_configuration: Some(renditions),
            ..Default::default()
        };
        let mut rec = self.new_record(ctx, ResourceType::RecordingConfiguration, c.name.clone(), &c)?;
        rec.tags = create_tags(input.tags)?;
        let r = self.insert(rec, None).await?;
        let view = self.recording_view(&r)?;
        self.probe_recording(&r, &view);
        Ok(CreateRecordingConfigurationResponse { recording_configuration: Some(view) })
    }

    /// `GetRecordingConfiguration`.
    pub async fn get_recording_configuration(
        &self,
        ctx: &Ctx,
        input: GetRecordingConfigurationRequest,
    ) -> DomainResult<GetRecordingConfigurationResponse> {
        let r = self
            .load(ctx, ResourceType::RecordingConfiguration, input.arn.as_deref().unwrap_or_default())
            .await?;
        let view = self.recording_view(&r)?;
        self.probe_recording(&r, &view);
        Ok(GetRecordingConfigurationResponse { recording_configuration: Some(view) })
    }

    /// `DeleteRecordingConfiguration`.
    pub async fn delete_recording_configuration(
        &self,
        ctx: &Ctx,
        input: DeleteRecordingConfigurationRequest,
    ) -> DomainResult<()> {
        self.delete_record(
            ctx,
            ResourceType::RecordingConfiguration,
            input.arn.as_deref().unwrap_or_default(),
        )
        .await
    }

    /// `ListRecordingConfigurations`.
    pub async fn list_recording_configurations(
        &self,
        ctx: &Ctx,
        input: ListRecordingConfigurationsRequest,
    ) -> DomainResult<ListRecordingConfigurationsResponse> {
        let (records, next) = self
            .page(
                ctx,
                Listing {
                    op: Operation::ListRecordingConfigurations,
                    kind: ResourceType::RecordingConfiguration,
                    default_page: 100,
                },
                Filter::All,
                input.next_token.as_deref(),
                input.max_results,
            )
            .await?;
        let items = records.iter().map(|r| summary(&self.recording_view(r)?)).collect::<DomainResult<_>>()?;
        Ok(ListRecordingConfigurationsResponse { recording_configurations: Some(items), next_token: next })
    }
}

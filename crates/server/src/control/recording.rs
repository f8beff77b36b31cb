//! Recording configurations: Create, Get, List, Delete (refused while a channel uses one). The S3
//! destination is stored; recording itself comes with the recorder.

use super::*;
use openivs_model::*;

impl Service {
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
            state: Some(RecordingConfigurationState::Active),
            thumbnail_configuration: Some(thumbs),
            recording_reconnect_window_seconds: Some(input.recording_reconnect_window_seconds.unwrap_or(0)),
            rendition_configuration: Some(renditions),
            ..Default::default()
        };
        let mut rec = self.new_record(ctx, ResourceType::RecordingConfiguration, c.name.clone(), &c)?;
        rec.tags = create_tags(input.tags)?;
        let r = self.insert(rec, None).await?;
        Ok(CreateRecordingConfigurationResponse { recording_configuration: Some(self.recording_view(&r)?) })
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
        Ok(GetRecordingConfigurationResponse { recording_configuration: Some(self.recording_view(&r)?) })
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

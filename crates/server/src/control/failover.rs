//! Failover slate configurations: Create, Get, Update, Delete (refused while a channel uses one), List.
//! Defaults from the model's documentation: activation after 3 s, shown for at least 3 s, at most 60 s.

use super::*;
use openivs_model::*;

impl Service {
    fn slate_view(&self, r: &Record) -> DomainResult<FailoverSlateConfiguration> {
        let mut s: FailoverSlateConfiguration = doc(r)?;
        s.arn = Some(r.arn.clone());
        s.tags = Some(r.tags.clone());
        Ok(s)
    }

    /// `CreateFailoverSlateConfiguration`.
    pub async fn create_failover_slate_configuration(
        &self,
        ctx: &Ctx,
        input: CreateFailoverSlateConfigurationRequest,
    ) -> DomainResult<CreateFailoverSlateConfigurationResponse> {
        let s = FailoverSlateConfiguration {
            name: Some(input.name.unwrap_or_default()),
            activation_threshold_seconds: Some(input.activation_threshold_seconds.unwrap_or(3)),
            min_slate_display_seconds: Some(input.min_slate_display_seconds.unwrap_or(3)),
            max_slate_display_seconds: Some(input.max_slate_display_seconds.unwrap_or(60)),
            state: Some(FailoverSlateConfigurationState::Created),
            ..Default::default()
        };
        let mut rec = self.new_record(ctx, ResourceType::FailoverSlateConfiguration, s.name.clone(), &s)?;
        rec.tags = create_tags(input.tags)?;
        let r = self.insert(rec, None).await?;
        Ok(CreateFailoverSlateConfigurationResponse {
            failover_slate_configuration: Some(self.slate_view(&r)?),
        })
    }

    /// `GetFailoverSlateConfiguration`.
    pub async fn get_failover_slate_configuration(
        &self,
        ctx: &Ctx,
        input: GetFailoverSlateConfigurationRequest,
    ) -> DomainResult<GetFailoverSlateConfigurationResponse> {
        let r = self
            .load(ctx, ResourceType::FailoverSlateConfiguration, input.arn.as_deref().unwrap_or_default())
            .await?;
        Ok(GetFailoverSlateConfigurationResponse { failover_slate_configuration: Some(self.slate_view(&r)?) })
    }

    /// `UpdateFailoverSlateConfiguration`: members present change, absent ones stay.
    pub async fn update_failover_slate_configuration(
        &self,
        ctx: &Ctx,
        input: UpdateFailoverSlateConfigurationRequest,
    ) -> DomainResult<UpdateFailoverSlateConfigurationResponse> {
        let arn = input.arn.unwrap_or_default();
        let r = self.load(ctx, ResourceType::FailoverSlateConfiguration, &arn).await?;
        let mut s: FailoverSlateConfiguration = doc(&r)?;
        if let Some(n) = input.name {
            s.name = Some(n);
        }
        if let Some(v) = input.activation_threshold_seconds {
            s.activation_threshold_seconds = Some(v);
        }
        if let Some(v) = input.min_slate_display_seconds {
            s.min_slate_display_seconds = Some(v);
        }
        if let Some(v) = input.max_slate_display_seconds {
            s.max_slate_display_seconds = Some(v);
        }
        let update =
            crate::store::Update { name: s.name.clone(), refs: None, doc: Some(serde_json::to_string(&s)?) };
        let r = self.store.update(&ctx.scope, &arn, update).await?;
        Ok(UpdateFailoverSlateConfigurationResponse {
            failover_slate_configuration: Some(self.slate_view(&r)?),
        })
    }

    /// `DeleteFailoverSlateConfiguration`.
    pub async fn delete_failover_slate_configuration(
        &self,
        ctx: &Ctx,
        input: DeleteFailoverSlateConfigurationRequest,
    ) -> DomainResult<()> {
        self.delete_record(
            ctx,
            ResourceType::FailoverSlateConfiguration,
            input.arn.as_deref().unwrap_or_default(),
        )
        .await
    }

    /// `ListFailoverSlateConfigurations`.
    pub async fn list_failover_slate_configurations(
        &self,
        ctx: &Ctx,
        input: ListFailoverSlateConfigurationsRequest,
    ) -> DomainResult<ListFailoverSlateConfigurationsResponse> {
        let (records, next) = self
            .page(
                ctx,
                Listing {
                    op: Operation::ListFailoverSlateConfigurations,
                    kind: ResourceType::FailoverSlateConfiguration,
                    default_page: 100,
                },
                Filter::All,
                input.next_token.as_deref(),
                input.max_results,
            )
            .await?;
        let items = records.iter().map(|r| summary(&self.slate_view(r)?)).collect::<DomainResult<_>>()?;
        Ok(ListFailoverSlateConfigurationsResponse {
            failover_slate_configurations: Some(items),
            next_token: next,
        })
    }
}

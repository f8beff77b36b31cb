//! Stream keys: one per channel (created with it), values `sk_<region>_<id>_<30 random chars>`.
//! `ListStreamKeys` never returns values (its summary type has none).

use super::channels::{batch_not_found, first_occurrences};
use super::*;
use openivs_model::*;

/// Stream keys a channel may have.
const KEYS_PER_CHANNEL: usize = 1;

impl Service {
    /// A new stream-key record for a channel, with a fresh secret value.
    pub(super) fn new_stream_key_record(
        &self,
        ctx: &Ctx,
        channel_arn: &str,
        tags: BTreeMap<String, String>,
    ) -> DomainResult<NewRecord> {
        let mut rec = self.new_record(ctx, ResourceType::StreamKey, None, &())?;
        let value = ids::stream_key_value(&ctx.scope.region, &rec.id);
        rec.doc = serde_json::to_string(&StreamKey {
            value: Some(value.clone()),
            channel_arn: Some(channel_arn.to_owned()),
            ..Default::default()
        })?;
        rec.parent = Some(channel_arn.to_owned());
        rec.unique = Some(value);
        rec.tags = tags;
        Ok(rec)
    }

    pub(super) fn stream_key_view(&self, r: &Record) -> DomainResult<StreamKey> {
        let mut k: StreamKey = doc(r)?;
        k.arn = Some(r.arn.clone());
        k.tags = Some(r.tags.clone());
        Ok(k)
    }

    /// `CreateStreamKey`: refused with 402 when the channel already has its one key.
    pub async fn create_stream_key(
        &self,
        ctx: &Ctx,
        input: CreateStreamKeyRequest,
    ) -> DomainResult<CreateStreamKeyResponse> {
        let channel = input.channel_arn.unwrap_or_default();
        self.load(ctx, ResourceType::Channel, &channel).await?;
        let rec = self.new_stream_key_record(ctx, &channel, create_tags(input.tags)?)?;
        let r = self.insert(rec, Some(Quota::PerParent(KEYS_PER_CHANNEL))).await?;
        Ok(CreateStreamKeyResponse { stream_key: Some(self.stream_key_view(&r)?) })
    }

    /// `GetStreamKey`.
    pub async fn get_stream_key(
        &self,
        ctx: &Ctx,
        input: GetStreamKeyRequest,
    ) -> DomainResult<GetStreamKeyResponse> {
        let r = self.load(ctx, ResourceType::StreamKey, input.arn.as_deref().unwrap_or_default()).await?;
        Ok(GetStreamKeyResponse { stream_key: Some(self.stream_key_view(&r)?) })
    }

    /// `BatchGetStreamKey`: found keys, and a `BatchError` for each ARN that is not (each ARN once).
    pub async fn batch_get_stream_key(
        &self,
        ctx: &Ctx,
        input: BatchGetStreamKeyRequest,
    ) -> DomainResult<BatchGetStreamKeyResponse> {
        let arns = input.arns.unwrap_or_default();
        let found = self.store.get_many(&ctx.scope, &arns).await?;
        let mut keys = Vec::new();
        let mut errors = Vec::new();
        for arn in first_occurrences(&arns) {
            match found.iter().find(|r| r.arn == arn && r.kind == ResourceType::StreamKey) {
                Some(r) => keys.push(self.stream_key_view(r)?),
                None => errors.push(batch_not_found(ResourceType::StreamKey, arn)),
            }
        }
        Ok(BatchGetStreamKeyResponse { stream_keys: Some(keys), errors: Some(errors), ..Default::default() })
    }

    /// `DeleteStreamKey`: the key can no longer start a stream (a live one goes on until StopStream).
    pub async fn delete_stream_key(&self, ctx: &Ctx, input: DeleteStreamKeyRequest) -> DomainResult<()> {
        self.delete_record(ctx, ResourceType::StreamKey, input.arn.as_deref().unwrap_or_default()).await
    }

    /// `ListStreamKeys` of a channel (default page size 1, as the model documents).
    pub async fn list_stream_keys(
        &self,
        ctx: &Ctx,
        input: ListStreamKeysRequest,
    ) -> DomainResult<ListStreamKeysResponse> {
        let channel = input.channel_arn.unwrap_or_default();
        self.load(ctx, ResourceType::Channel, &channel).await?;
        let (records, next) = self
            .page(
                ctx,
                Listing { op: Operation::ListStreamKeys, kind: ResourceType::StreamKey, default_page: 1 },
                Filter::Parent(channel.clone()),
                input.next_token.as_deref(),
                input.max_results,
            )
            .await?;
        let keys = records
            .iter()
            .map(|r| StreamKeySummary {
                arn: Some(r.arn.clone()),
                channel_arn: Some(channel.clone()),
                tags: Some(r.tags.clone()),
            })
            .collect();
        Ok(ListStreamKeysResponse { stream_keys: Some(keys), next_token: next })
    }
}

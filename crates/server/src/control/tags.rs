//! Tags on every taggable resource (TagResource, UntagResource, ListTagsForResource): at most 50 per
//! resource; keys 1..128 and values 0..256 characters (checked by the model); `aws:` keys are reserved.

use super::*;
use openivs_model::*;

/// The `aws:` prefix is reserved for AWS's own tags (AWS tagging rules).
pub(super) fn check_reserved<'a>(keys: impl IntoIterator<Item = &'a String>) -> DomainResult<()> {
    match keys.into_iter().find(|k| k.to_ascii_lowercase().starts_with("aws:")) {
        Some(k) => Err(DomainError::Validation(format!(
            "Invalid tags: the key {k:?} starts with \"aws:\", which is reserved for AWS use"
        ))),
        None => Ok(()),
    }
}

impl Service {
    async fn tagged(&self, ctx: &Ctx, arn: &str) -> DomainResult<Record> {
        match self.store.get(&ctx.scope, arn).await? {
            Some(r) => Ok(r),
            None => Err(DomainError::NotFound(format!("Resource not found: {arn}"))),
        }
    }

    /// `ListTagsForResource`.
    pub async fn list_tags_for_resource(
        &self,
        ctx: &Ctx,
        input: ListTagsForResourceRequest,
    ) -> DomainResult<ListTagsForResourceResponse> {
        let r = self.tagged(ctx, input.resource_arn.as_deref().unwrap_or_default()).await?;
        Ok(ListTagsForResourceResponse { tags: Some(r.tags) })
    }

    /// `TagResource`: adds or replaces tags.
    pub async fn tag_resource(
        &self,
        ctx: &Ctx,
        input: TagResourceRequest,
    ) -> DomainResult<TagResourceResponse> {
        let arn = input.resource_arn.unwrap_or_default();
        let tags = input.tags.unwrap_or_default();
        check_reserved(tags.keys())?;
        self.tagged(ctx, &arn).await?;
        self.store.tag(&ctx.scope, &arn, tags, Vec::new(), MAX_TAGS).await?;
        Ok(TagResourceResponse {})
    }

    /// `UntagResource`: removes tags (keys that are not there are ignored).
    pub async fn untag_resource(
        &self,
        ctx: &Ctx,
        input: UntagResourceRequest,
    ) -> DomainResult<UntagResourceResponse> {
        let arn = input.resource_arn.unwrap_or_default();
        self.tagged(ctx, &arn).await?;
        self.store
            .tag(&ctx.scope, &arn, BTreeMap::new(), input.tag_keys.unwrap_or_default(), MAX_TAGS)
            .await?;
        Ok(UntagResourceResponse {})
    }
}

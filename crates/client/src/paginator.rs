//! Paginators for the nine list operations (those whose input and output carry `nextToken`): a
//! [`Paginator`] yields pages, [`Items`] yields the items of those pages. Both are `Stream`s and also
//! have an inherent `next()` for use without a stream-combinator crate. Like the AWS SDKs, they stop
//! when the service returns no token, or the token it was just given (which would loop forever).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::client::{Client, Command};
use crate::error::SdkError;

/// A list operation's input: how to set its token, and where its output keeps the next token and
/// the items (generated for the nine list operations).
pub trait Paginated: Command<Input = Self> + Clone + Sized + Send + Sync + 'static {
    /// The item type of a page (`ChannelSummary` for `ListChannels`).
    type Item: Send + 'static;
    /// Sets `nextToken`.
    fn set_next_token(&mut self, token: Option<String>);
    /// The input's own `nextToken` (where the first page starts).
    fn input_token(&self) -> Option<&str>;
    /// The output's `nextToken`.
    fn next_token(output: &Self::Output) -> Option<&str>;
    /// The output's items.
    fn into_items(output: Self::Output) -> Vec<Self::Item>;
}

type Page<I> = Result<<I as Command>::Output, SdkError<<I as Command>::Error>>;
type PageFuture<I> = Pin<Box<dyn Future<Output = Page<I>> + Send>>;

/// The pages of a list operation, one call each.
pub struct Paginator<I: Paginated> {
    client: Client,
    input: I,
    /// The token of the page being fetched or to fetch (the input's own for the first page).
    token: Option<String>,
    done: bool,
    pending: Option<PageFuture<I>>,
}

impl<I: Paginated> Paginator<I> {
    /// Pages of `input`'s operation, from `input`'s own `nextToken` on.
    pub fn new(client: Client, input: I) -> Self {
        let token = input.input_token().map(str::to_owned);
        Self { client, input, token, done: false, pending: None }
    }

    /// The items of each page, one by one.
    pub fn items(self) -> Items<I> {
        Items { pages: self, buffer: Vec::new().into_iter() }
    }

    /// The next page, or `None` when there are no more (an error also ends the pagination).
    pub async fn next(&mut self) -> Option<Page<I>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Every page's items, in order, or the first error.
    pub async fn collect_items(self) -> Result<Vec<I::Item>, SdkError<I::Error>> {
        let mut items = self.items();
        let mut all = Vec::new();
        while let Some(item) = items.next().await {
            all.push(item?);
        }
        Ok(all)
    }

    fn start_call(&mut self) -> PageFuture<I> {
        let mut input = self.input.clone();
        input.set_next_token(self.token.clone());
        let client = self.client.clone();
        Box::pin(async move { client.send(input).await })
    }
}

impl<I: Paginated> Unpin for Paginator<I> {}

impl<I: Paginated> Stream for Paginator<I> {
    type Item = Page<I>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.pending.is_none() {
            let call = self.start_call();
            self.pending = Some(call);
        }
        let Some(pending) = self.pending.as_mut() else { return Poll::Ready(None) };
        let page = match pending.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(page) => page,
        };
        self.pending = None;
        match &page {
            Ok(output) => {
                let next = I::next_token(output).filter(|t| !t.is_empty()).map(str::to_owned);
                let repeated = next.is_some() && next == self.token;
                self.done = next.is_none() || repeated;
                self.token = next;
            }
            Err(_) => self.done = true,
        }
        Poll::Ready(Some(page))
    }
}

/// The items of a list operation's pages.
pub struct Items<I: Paginated> {
    pages: Paginator<I>,
    buffer: std::vec::IntoIter<I::Item>,
}

impl<I: Paginated> Items<I> {
    /// The next item, or `None` at the end (an error ends the items).
    pub async fn next(&mut self) -> Option<Result<I::Item, SdkError<I::Error>>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl<I: Paginated> Unpin for Items<I> {}

impl<I: Paginated> Stream for Items<I> {
    type Item = Result<I::Item, SdkError<I::Error>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(item) = self.buffer.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut self.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => self.buffer = I::into_items(page).into_iter(),
            }
        }
    }
}

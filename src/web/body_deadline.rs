//! A deadline on reading request bodies.
//!
//! actix bounds the wait for a request's head (`client_request_timeout`) but not for its
//! body: a client that sends `Content-Length: 60000` and then nothing holds its
//! connection, its file descriptor and a handler for as long as it likes. This middleware
//! gives every body two limits, a gap between pieces (`limits.body_idle_seconds`) and a
//! total (`limits.body_total_seconds`, counted from the head). The extractor that reads
//! the body (`web::Bytes`, multipart, JSON) then sees an error; the answer becomes 408
//! with `Connection: close`, so the server drops the connection and its descriptor.

use crate::error::AppError;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::HttpMessage;
use futures_util::Stream;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{sleep, sleep_until, Instant, Sleep};

pub async fn bound(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(limits) = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.limits.clone())
    else {
        return next.call(req).await.map(|r| r.map_into_left_body());
    };
    let timed_out = Rc::new(Cell::new(false));
    let inner = req.take_payload();
    let bounded = Deadline::new(
        inner,
        limits.body_idle(),
        limits.body_total(),
        timed_out.clone(),
    );
    req.set_payload(Payload::Stream {
        payload: Box::pin(bounded),
    });
    let res = next.call(req).await?;
    // The handler failed because its body never came: say so, and close. A handler that
    // answered successfully without the body keeps its answer.
    if timed_out.get() && !res.status().is_success() {
        tracing::info!("request body timed out");
        let (req, _) = res.into_parts();
        let err = actix_web::Error::from(AppError::BodyTimeout);
        return Ok(ServiceResponse::from_err(err, req).map_into_right_body());
    }
    Ok(res.map_into_left_body())
}

/// A payload that fails with a timeout when the next piece or the end is late.
struct Deadline {
    inner: Payload,
    idle: Duration,
    gap: Pin<Box<Sleep>>,
    end: Pin<Box<Sleep>>,
    timed_out: Rc<Cell<bool>>,
    done: bool,
}

impl Deadline {
    fn new(inner: Payload, idle: Duration, total: Duration, timed_out: Rc<Cell<bool>>) -> Self {
        Deadline {
            inner,
            idle,
            gap: Box::pin(sleep(idle)),
            end: Box::pin(sleep_until(Instant::now() + total)),
            timed_out,
            done: false,
        }
    }
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let next_gap = Instant::now() + this.idle;
                this.gap.as_mut().reset(next_gap);
                return Poll::Ready(Some(Ok(chunk)));
            }
            Poll::Ready(other) => {
                this.done = other.is_none();
                return Poll::Ready(other);
            }
            Poll::Pending => {}
        }
        let late = this.gap.as_mut().poll(cx).is_ready() || this.end.as_mut().poll(cx).is_ready();
        if !late {
            return Poll::Pending;
        }
        this.done = true;
        this.timed_out.set(true);
        Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "request body timed out",
        )))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[actix_web::test]
    async fn a_body_that_stops_coming_fails_and_says_it_timed_out() {
        let nothing: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
            Box::pin(futures_util::stream::pending());
        let silent = Payload::Stream { payload: nothing };
        let flag = Rc::new(Cell::new(false));
        let mut s = Deadline::new(
            silent,
            Duration::from_millis(20),
            Duration::from_secs(60),
            flag.clone(),
        );
        assert!(matches!(s.next().await, Some(Err(PayloadError::Io(_)))));
        assert!(flag.get());
        assert!(s.next().await.is_none());
    }
}

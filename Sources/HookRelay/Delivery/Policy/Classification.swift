/// What an attempt's result means for its delivery, as judged by ``ResponseClassifier``.
public enum Classification: Sendable, Equatable {
    /// The destination accepted the delivery.
    case delivered
    /// Try again later.
    ///
    /// - `reason`: short human text with the status or transport error, e.g. `HTTP 503`.
    /// - `retryAfter`: the response's `Retry-After`, when it had a valid one.
    /// - `floor`: wait at least ``RetryPolicy/floor`` (60 s) because the destination timed out or asked us to slow
    ///   down (429, Make's "Queue is full").
    case retry(reason: String, retryAfter: RetryAfter?, floor: Bool)
    /// Give up now. `flagDestination` marks results that say the destination itself is broken or gone (a redirect,
    /// Make's 410, n8n's rejected credentials) rather than this one payload being unacceptable.
    case dead(reason: String, flagDestination: Bool)

    /// Whether this result counts as a failure of the destination for its ``CircuitBreaker``.
    ///
    /// Every `retry` does (connect/TLS/timeout errors, 408, 425, 429, 5xx and the bridges' retryable answers), and so
    /// does a `dead` that flags the destination. A plain `dead` (400, 404, 410, 422, … ) is the payload's problem:
    /// the destination answered, so for the breaker it counts as a success, like `delivered`.
    public var countsAsDestinationFailure: Bool {
        switch self {
        case .delivered: false
        case .retry: true
        case .dead(_, let flagDestination): flagDestination
        }
    }

    /// The reason text; `nil` for `delivered`.
    public var reason: String? {
        switch self {
        case .delivered: nil
        case .retry(let reason, _, _), .dead(let reason, _): reason
        }
    }
}

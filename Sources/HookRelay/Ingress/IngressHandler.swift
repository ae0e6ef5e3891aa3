public import HTTPServer

/// The edge endpoint's handler, one per event loop: health checks now; `/hooks/<source>` comes with the ingest pipeline.
public final class IngressHandler: HTTPRequestHandler {
    public init() {}

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        switch request.path {
        case "/healthz":
            guard request.method == "GET" || request.method == "HEAD" else {
                responder.respond(Self.methodNotAllowed(allow: "GET, HEAD"))
                return
            }
            responder.respond(.json(200, #"{"status":"ok"}"#))
        default:
            responder.respond(.text(404, "not found"))
        }
    }

    static func methodNotAllowed(allow: String) -> HTTPResponse {
        var response = HTTPResponse.text(405, "method not allowed")
        response.headers.append(name: "Allow", value: allow)
        return response
    }
}

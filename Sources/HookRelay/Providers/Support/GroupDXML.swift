import Foundation
import FoundationXML

/// One element of a small XML document: its name as written (`sf:Id`), attributes, child elements and text.
struct GroupDXMLElement: Sendable {
    var name: String
    var attributes: [String: String] = [:]
    var children: [GroupDXMLElement] = []
    var text = ""

    /// The name without its namespace prefix (`Id` for `sf:Id`).
    var localName: Substring { GroupDXML.localName(name) }

    /// The first child element whose local name is `localName`.
    func child(_ localName: String) -> GroupDXMLElement? {
        children.first { $0.localName == localName }
    }

    /// The child elements whose local name is `localName`.
    func children(_ localName: String) -> [GroupDXMLElement] {
        children.filter { $0.localName == localName }
    }

    /// The value of the attribute whose local name is `localName` (`xsi:type` → `type`), whatever its prefix.
    func attribute(_ localName: String) -> String? {
        attributes.first { GroupDXML.localName($0.key) == localName }?.value
    }

    /// Whether the element is marked `xsi:nil="true"`.
    var isNil: Bool { attribute("nil") == "true" }
}

/// Why a document was refused; the reason never quotes the document.
struct GroupDXMLError: Error, Sendable, Equatable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A defensive XML reader over FoundationXML's `XMLParser` (libxml2), for SOAP bodies such as Salesforce outbound
/// messages.
///
/// Safe by construction rather than by parser flags: any markup declaration (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`,
/// …) is refused before parsing, so there are no entities to expand (no external fetches, no "billion laughs"); only
/// the five predefined entities and character references remain. External entity resolution is off as well, and
/// size, nesting depth and element count are bounded.
enum GroupDXML {
    struct Limits: Sendable {
        /// The largest document read, in bytes.
        var maxBytes = 4 * 1024 * 1024
        /// Elements nested inside each other.
        var maxDepth = 32
        /// Elements in the whole document.
        var maxElements = 100_000
    }

    static func localName(_ name: String) -> Substring {
        name.lastIndex(of: ":").map { name[name.index(after: $0)...] } ?? name[...]
    }

    /// Parses `bytes` into its root element.
    static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(GroupDXMLError) -> GroupDXMLElement {
        guard bytes.count <= limits.maxBytes else { throw GroupDXMLError("XML body larger than \(limits.maxBytes) bytes") }
        try refuseDeclarations(bytes)
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = false
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        let builder = TreeBuilder(limits: limits)
        parser.delegate = builder
        let parsed = parser.parse()
        if let failure = builder.failure { throw failure }
        guard parsed, let root = builder.root else { throw GroupDXMLError("malformed XML") }
        return root
    }

    /// Refuses `<!` unless it opens a comment (`<!--`) or a CDATA section (`<![CDATA[`).
    static func refuseDeclarations(_ bytes: [UInt8]) throws(GroupDXMLError) {
        let comment = Array("--".utf8), cdata = Array("[CDATA[".utf8)
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 0x3C && bytes[i + 1] == 0x21 {
                let rest = bytes[(i + 2)...]
                guard rest.starts(with: comment) || rest.starts(with: cdata) else {
                    throw GroupDXMLError("XML with a document type or entity declaration is not accepted")
                }
            }
            i += 1
        }
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        let limits: Limits
        var stack: [GroupDXMLElement] = []
        var root: GroupDXMLElement?
        var failure: GroupDXMLError?
        var elementCount = 0

        init(limits: Limits) {
            self.limits = limits
        }

        private func fail(_ parser: XMLParser, _ reason: String) {
            if failure == nil { failure = GroupDXMLError(reason) }
            parser.abortParsing()
        }

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                    attributes attributeDict: [String: String] = [:]) {
            guard failure == nil else { return }
            elementCount += 1
            guard elementCount <= limits.maxElements else { return fail(parser, "XML has more than \(limits.maxElements) elements") }
            guard stack.count < limits.maxDepth else { return fail(parser, "XML nested deeper than \(limits.maxDepth) elements") }
            guard root == nil || !stack.isEmpty else { return fail(parser, "XML has more than one root element") }
            stack.append(GroupDXMLElement(name: elementName, attributes: attributeDict))
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard failure == nil, let element = stack.popLast() else { return }
            if stack.isEmpty {
                root = element
            } else {
                stack[stack.count - 1].children.append(element)
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard failure == nil, !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            guard failure == nil, !stack.isEmpty else { return }
            guard let text = String(data: CDATABlock, encoding: .utf8) else { return fail(parser, "CDATA is not UTF-8") }
            stack[stack.count - 1].text += text
        }

        func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
            fail(parser, "XML with an entity declaration is not accepted")
        }

        func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?, systemID: String?) {
            fail(parser, "XML with an entity declaration is not accepted")
        }

        func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
            fail(parser, "XML with an external entity is not accepted")
            return nil
        }
    }
}

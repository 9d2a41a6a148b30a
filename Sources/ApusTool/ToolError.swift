/// A failure the tool reports to its user in one line, with what to do about it.
public struct ToolError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

import ApusCore
import ApusTool
import ArgumentParser

/// The tool's option values that the parser reads by name: `--acceleration auto|kvm|software`.
extension Machine.Acceleration: ExpressibleByArgument {}

/// `--pager lazy|eager`.
extension PagingPolicy: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument.utf8) }
    public static var allValueStrings: [String] { ["lazy", "eager"] }
}

/// `--abi keos|linux`.
extension Personality: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument.utf8) }
    public static var allValueStrings: [String] { ["keos", "linux"] }
}

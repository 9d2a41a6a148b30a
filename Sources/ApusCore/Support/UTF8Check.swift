/// Whether `bytes` are well-formed UTF-8 (ABI.md: paths and thread names must be): the
/// standard library's decoder, byte by byte, with no Unicode tables (the kernel links none).
public func isValidUTF8(_ bytes: [UInt8]) -> Bool {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue: continue
        case .emptyInput: return true
        case .error: return false
        }
    }
}

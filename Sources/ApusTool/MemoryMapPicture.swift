import ApusCore
import Foundation

/// `apus run --memory-map FILE.svg`: the memory maps drawn as pictures, one address space
/// per column, the way an OS course draws them by hand: high addresses at the top, each
/// region a box whose height follows its size, and inside it how many of its pages are
/// resident and how many of those are shared copy-on-write.
///
/// A user address space spans 128 TiB with regions of a few pages in it, so a drawing with
/// one linear scale would show nothing. Regions are drawn to one linear scale for the whole
/// picture (the largest region gets ``largestRegionHeight`` points, none less than
/// ``smallestRegionHeight``); the *gaps* between them are log-scaled (each doubling of a gap
/// adds the same height), and the gap's size is written in it. Inside a region, the bar
/// is split left to right in proportion to its pages: shared (resident in another address
/// space too), resident (this process's alone), and not resident (never touched, with a
/// lazy pager). Which pages those are is not drawn, only how many.
///
/// Every text in the picture is escaped for XML (file names are a user's choice).
public enum MemoryMapPicture {
    static let columnWidth = 330.0, barWidth = 120.0, margin = 20.0, titleHeight = 44.0
    static let largestRegionHeight = 240.0, smallestRegionHeight = 14.0
    /// The height of a one-page gap, and what each doubling of a gap adds.
    static let gapBase = 6.0, gapPerDoubling = 1.5
    static let colors = (shared: "#e8833a", resident: "#3a7ce8", absent: "#e4e7ec", outline: "#333333")

    /// The whole picture, as an SVG document.
    public static func svg(_ snapshots: [MemoryMapRecords.Snapshot], fileNames: [UInt32: [UInt8]], runs: Int = 1) -> String {
        let largest = snapshots.flatMap(\.regions).map(\.range.length).max() ?? PageGeometry.pageSize
        let scale = largestRegionHeight / Double(max(largest, 1))
        var columns: [String] = []
        var height = 0.0
        for (index, snapshot) in snapshots.enumerated() {
            let (body, columnHeight) = column(snapshot, x: margin + Double(index) * columnWidth, scale: scale, fileNames: fileNames, runs: runs)
            columns.append(body)
            height = max(height, columnHeight)
        }
        let width = margin * 2 + Double(max(snapshots.count, 1)) * columnWidth
        let legendY = height + margin
        let legend = [("shared copy-on-write", colors.shared), ("resident, this process's alone", colors.resident), ("not resident", colors.absent)]
            .enumerated().map { index, item in
                let x = margin + Double(index) * 280
                return rect(x: x, y: legendY, width: 14, height: 14, fill: item.1) + text(item.0, x: x + 20, y: legendY + 11)
            }.joined()
        let note = text("Regions to one linear scale (at least \(Int(smallestRegionHeight)) points); gaps log-scaled, their size written in them; high addresses at the top.",
                        x: margin, y: legendY + 34, size: 11)
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(format(width))" height="\(format(legendY + 50))" font-family="monospace" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            \(columns.joined())\(legend)\(note)
            </svg>

            """
    }

    /// One address space, from its highest region down; returns the drawing and its height.
    static func column(_ snapshot: MemoryMapRecords.Snapshot, x: Double, scale: Double, fileNames: [UInt32: [UInt8]], runs: Int) -> (String, Double) {
        var out = text("process \(snapshot.process) (parent \(snapshot.parent))", x: x, y: margin + 12, weight: "bold")
        out += text((runs > 1 ? "run \(snapshot.run + 1), " : "") + "\(snapshot.moment)", x: x, y: margin + 28)
        var y = margin + titleHeight
        let regions = snapshot.regions.sorted { $0.range.start.raw > $1.range.start.raw }
        for (index, region) in regions.enumerated() {
            if index > 0 {
                let gap = regions[index - 1].range.start.raw - region.range.end.raw
                let pages = Double(max(gap >> PageGeometry.pageShift, 1))
                let gapHeight = gap == 0 ? 0 : gapBase + gapPerDoubling * log2(pages)
                if gap > 0 {
                    out += line(x: x + barWidth / 2, from: y, to: y + gapHeight)
                    if gapHeight >= 12 { out += text(roughSize(gap), x: x + barWidth / 2 + 6, y: y + gapHeight / 2 + 4, size: 10, fill: "#777777") }
                }
                y += gapHeight
            }
            let height = max(smallestRegionHeight, Double(region.range.length) * scale)
            let pages = Double(max(region.range.pageCount, 1))
            let sharedWidth = barWidth * Double(region.sharedPages) / pages
            let residentWidth = barWidth * Double(region.residentPages - region.sharedPages) / pages
            out += rect(x: x, y: y, width: barWidth, height: height, fill: colors.absent)
            if residentWidth > 0 { out += rect(x: x + sharedWidth, y: y, width: residentWidth, height: height, fill: colors.resident) }
            if sharedWidth > 0 { out += rect(x: x, y: y, width: sharedWidth, height: height, fill: colors.shared) }
            out += "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(barWidth))\" height=\"\(format(height))\" fill=\"none\" stroke=\"\(colors.outline)\"/>"
            let label = "\(MemoryMapTable.permission(region.permission)) \(MemoryMapTable.backing(of: region, fileNames: fileNames))"
            out += text(MemoryMapTable.hex(region.range.end.raw), x: x + barWidth + 6, y: y + 10, size: 10, fill: "#555555")
            out += text(label, x: x + barWidth + 6, y: y + 22, size: 11)
            out += text("\(MemoryMapTable.size(region.range.length)), \(region.residentPages) resident, \(region.sharedPages) shared",
                        x: x + barWidth + 6, y: y + 34, size: 10)
            y += max(height, 40)
        }
        if snapshot.omitted > 0 { out += text("… \(snapshot.omitted) more regions", x: x, y: y + 14); y += 20 }
        return (out, y)
    }

    /// A gap's size, rounded to its largest unit (`628 MiB`).
    static func roughSize(_ bytes: UInt64) -> String {
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes >= 1 << shift {
            return "\(bytes >> shift) \(unit)"
        }
        return "\(bytes) B"
    }

    /// `text` made safe inside an XML document.
    public static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        String(Double(Int(value * 10)) / 10)
    }

    static func rect(x: Double, y: Double, width: Double, height: Double, fill: String) -> String {
        "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(width))\" height=\"\(format(height))\" fill=\"\(fill)\"/>"
    }

    static func line(x: Double, from top: Double, to bottom: Double) -> String {
        "<line x1=\"\(format(x))\" y1=\"\(format(top))\" x2=\"\(format(x))\" y2=\"\(format(bottom))\" stroke=\"#999999\" stroke-dasharray=\"2,2\"/>"
    }

    static func text(_ content: String, x: Double, y: Double, size: Int = 12, fill: String = "#000000", weight: String = "normal") -> String {
        "<text x=\"\(format(x))\" y=\"\(format(y))\" font-size=\"\(size)\" fill=\"\(fill)\" font-weight=\"\(weight)\">\(escaped(content))</text>\n"
    }
}

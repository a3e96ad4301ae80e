/// The product version every executable reports.
public enum ExthostVersion {
    public static let string = "0.1.0"
}

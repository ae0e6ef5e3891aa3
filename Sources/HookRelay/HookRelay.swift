/// The hookrelay version.
public let hookrelayVersion = "0.1.0"

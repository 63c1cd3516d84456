namespace Attest.Server.Hosting;

/// <summary>
/// The event ids of every log message the server writes, in one table: operators filter and alert on them, so each is
/// stable and used once (a test checks that no message carries a literal id, and that these are distinct).
/// 1000s: start-up, policies, keys, ledger audits (1300s: witnessing, 1400s: keys shared through the database);
/// 2000s: admission; 3000s: the checksum database.
/// </summary>
internal static class LogEvents
{
    public const int PoliciesLoaded = 1001;
    public const int LedgerOpened = 1002;
    public const int SigningKeyCreated = 1003;
    public const int SigningKeyLoaded = 1004;
    public const int WalCheckpointFailed = 1005;
    public const int DataDirectoryNarrowed = 1006;
    public const int DataDirectoryOpen = 1007;

    public const int PoliciesReloaded = 1010;
    public const int PolicyReloadRefused = 1011;
    public const int PolicyWatchFailed = 1012;
    public const int PolicyWarnings = 1013;

    public const int LedgerAuditPassed = 1020;
    public const int LedgerAuditFailed = 1021;
    public const int LedgerAuditIncomplete = 1022;

    public const int BootstrapClientCreated = 1101;
    public const int AdministratorRecovered = 1102;

    public const int DevelopmentKeyPassword = 1201;

    public const int WitnessesConfigured = 1301;
    public const int WitnessEnabled = 1302;
    public const int WitnessRefused = 1303;
    public const int WitnessUnreachable = 1304;
    public const int CosignRefused = 1305;
    public const int WitnessingFailed = 1306;

    public const int KeyReloadFailed = 1401;

    public const int ImagesPinned = 2001;
    public const int AdmissionDecided = 2002;
    public const int DecisionNotRecorded = 2003;

    public const int KubernetesApiRefused = 2010;
    public const int KubernetesApiFailed = 2011;
    public const int PullSecretUnusable = 2012;

    public const int SumDbOpened = 3001;
    public const int SumDbRecordRefused = 3002;
}

/**
 * Windows event log → Sigma logsource and field tables (data, not code).
 *
 * Sources, reviewed against each other:
 * - Sigma specification v2.1, `sigma-appendix-taxonomy.md`, "Windows Folder" (category and
 *   service → Channel/EventID);
 * - SigmaHQ `tests/thor.yml` (logsource conditions, `fieldmappings` for Security 4688 and the
 *   Defender `antivirus` category) and `tests/logsource.json` (field names per category);
 * - pySigma pipelines `sysmon` (category → Sysmon EventID) and `windows`/`windows-audit`
 *   (4688 and 4657 as generic categories; Security field mappings).
 */

/** Channel (lower-case) → Sigma `service` names. */
export const CHANNEL_SERVICES: Readonly<Record<string, readonly string[]>> = {
  application: ['application'],
  'microsoft-windows-application-experience/program-telemetry': ['application-experience'],
  'microsoft-windows-application-experience/program-compatibility-assistant': ['application-experience'],
  'microsoft-windows-applocker/msi and script': ['applocker'],
  'microsoft-windows-applocker/exe and dll': ['applocker'],
  'microsoft-windows-applocker/packaged app-deployment': ['applocker'],
  'microsoft-windows-applocker/packaged app-execution': ['applocker'],
  'microsoft-windows-appmodel-runtime/admin': ['appmodel-runtime'],
  'microsoft-windows-appxdeploymentserver/operational': ['appxdeployment-server'],
  'microsoft-windows-appxpackaging/operational': ['appxpackaging-om'],
  'microsoft-windows-bitlocker/bitlocker management': ['bitlocker'],
  'microsoft-windows-bits-client/operational': ['bits-client'],
  'microsoft-windows-capi2/operational': ['capi2'],
  'microsoft-windows-certificateservicesclient-lifecycle-system/operational': [
    'certificateservicesclient-lifecycle-system',
  ],
  'microsoft-windows-codeintegrity/operational': ['codeintegrity-operational'],
  'microsoft-windows-dhcp-server/operational': ['dhcp'],
  'microsoft-windows-diagnosis-scripted/operational': ['diagnosis-scripted'],
  'microsoft-windows-dns client events/operational': ['dns-client'],
  'dns server': ['dns-server'],
  'microsoft-windows-dns-server/analytical': ['dns-server-analytic'],
  'microsoft-windows-dns-server/audit': ['dns-server-audit'],
  'microsoft-windows-driverframeworks-usermode/operational': ['driver-framework'],
  'microsoft-windows-windows firewall with advanced security/firewall': ['firewall-as'],
  'microsoft-windows-hyper-v-worker': ['hyper-v-worker'],
  'microsoft-iis-configuration/operational': ['iis-configuration'],
  'microsoft-windows-kernel-eventtracing': ['kernel-event-tracing'],
  'microsoft-windows-kernel-shimengine/operational': ['kernel-shimengine'],
  'microsoft-windows-kernel-shimengine/diagnostic': ['kernel-shimengine'],
  'microsoft-windows-ldap-client/debug': ['ldap'],
  'microsoft-windows-lsa/operational': ['lsa-server'],
  'msexchange management': ['msexchange-management'],
  'microsoft-windows-ntfs/operational': ['ntfs'],
  'microsoft-windows-ntlm/operational': ['ntlm'],
  'openssh/operational': ['openssh'],
  'microsoft-windows-powershell/operational': ['powershell'],
  'powershellcore/operational': ['powershell'],
  'windows powershell': ['powershell-classic'],
  'microsoft-windows-printservice/admin': ['printservice-admin'],
  'microsoft-windows-printservice/operational': ['printservice-operational'],
  security: ['security'],
  'microsoft-windows-security-mitigations/kernel mode': ['security-mitigations'],
  'microsoft-windows-security-mitigations/user mode': ['security-mitigations'],
  'microsoft-windows-sense/operational': ['sense'],
  // SigmaHQ spells this service both ways.
  'microsoft-servicebus-client/operational': ['servicebus-client', 'microsoft-servicebus-client'],
  'microsoft-servicebus-client/admin': ['servicebus-client', 'microsoft-servicebus-client'],
  'microsoft-windows-shell-core/operational': ['shell-core'],
  'microsoft-windows-smbclient/security': ['smbclient-security'],
  'microsoft-windows-smbclient/connectivity': ['smbclient-connectivity'],
  'microsoft-windows-smbserver/connectivity': ['smbserver-connectivity'],
  'microsoft-windows-sysmon/operational': ['sysmon'],
  system: ['system'],
  'microsoft-windows-taskscheduler/operational': ['taskscheduler'],
  'microsoft-windows-terminalservices-localsessionmanager/operational': [
    'terminalservices-localsessionmanager',
  ],
  'microsoft-windows-vhdmp/operational': ['vhdmp'],
  'microsoft-windows-windows defender/operational': ['windefend'],
  'microsoft-windows-wmi-activity/operational': ['wmi'],
};

/** Sysmon EventID → Sigma categories (taxonomy appendix; pySigma `sysmon` pipeline). */
export const SYSMON_CATEGORIES: Readonly<Record<number, readonly string[]>> = {
  1: ['process_creation'],
  2: ['file_change'],
  3: ['network_connection'],
  4: ['sysmon_status'],
  5: ['process_termination'],
  6: ['driver_load'],
  7: ['image_load'],
  8: ['create_remote_thread'],
  9: ['raw_access_thread'],
  10: ['process_access'],
  11: ['file_event'],
  12: ['registry_event', 'registry_add', 'registry_delete'],
  13: ['registry_event', 'registry_set'],
  14: ['registry_event', 'registry_rename'],
  15: ['create_stream_hash'],
  16: ['sysmon_status'],
  17: ['pipe_created'],
  18: ['pipe_created'],
  19: ['wmi_event'],
  20: ['wmi_event'],
  21: ['wmi_event'],
  22: ['dns_query'],
  23: ['file_delete'],
  24: ['clipboard_capture'],
  25: ['process_tampering'],
  26: ['file_delete', 'file_delete_detected'],
  27: ['file_block_executable'],
  28: ['file_block_shredding'],
  29: ['file_executable_detected'],
  255: ['sysmon_error'],
};

/** Sigma services (from the channel) whose EventIDs imply generic categories. */
export const SERVICE_EVENT_CATEGORIES: Readonly<Record<string, Readonly<Record<number, readonly string[]>>>> =
  {
    sysmon: SYSMON_CATEGORIES,
    security: {
      4688: ['process_creation'],
      4657: ['registry_event', 'registry_set', 'registry_add'],
    },
    powershell: { 4103: ['ps_module'], 4104: ['ps_script'] },
    'powershell-classic': {
      400: ['ps_classic_start'],
      600: ['ps_classic_provider_start'],
      800: ['ps_classic_script'],
    },
    // thor.yml "windows-defender-antivirus-mapping": detections that carry a threat name or path.
    windefend: Object.fromEntries(
      [1006, 1007, 1008, 1009, 1010, 1011, 1012, 1017, 1018, 1019, 1115, 1116].map((id) => [
        id,
        ['antivirus'],
      ]),
    ),
  };

/**
 * Sigma field → the field Windows writes, per logsource (`service/category`). Only where the
 * event itself lacks the Sigma name: Security 4688 has `NewProcessName`, not `Image`.
 */
export const FIELD_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // thor.yml process_creation_2 + pySigma windows-audit; 4688's ProcessId is the parent's.
  'security/process_creation': {
    Image: 'NewProcessName',
    ParentImage: 'ParentProcessName',
    ProcessId: 'NewProcessId',
    ParentProcessId: 'ProcessId',
    LogonId: 'SubjectLogonId',
  },
  // pySigma windows-audit field mappings for the Security channel.
  security: { Details: 'NewValue', LogonId: 'SubjectLogonId' },
  // thor.yml windows-defender-antivirus-mapping.
  'windefend/antivirus': { Signature: 'ThreatName', Filename: 'Path' },
};

/** Channels of Sysmon for Linux, whose events carry Sysmon EventIDs with `product: linux`. */
export const LINUX_SYSMON_CHANNELS: ReadonlySet<string> = new Set(['linux-sysmon/operational']);

/**
 * Flat (nxlog/OTRF-style) Windows JSON: Sigma name → the flat field holding it. nxlog renames
 * `Provider Name` to `SourceName`, `Computer` to `Hostname`, and moves Sysmon's `EventType` to
 * `EventTypeOrignal` when it writes its own `EventType` (sic, nxlog's spelling).
 */
export const FLAT_SYSTEM_ALIASES: Readonly<Record<string, readonly string[]>> = {
  Provider_Name: ['SourceName', 'ProviderName'],
  Provider_Guid: ['ProviderGuid'],
  Computer: ['Hostname', 'ComputerName'],
  Security_UserID: ['UserID'],
  Execution_ProcessID: ['ExecutionProcessID'],
  Execution_ThreadID: ['ThreadID'],
  EventRecordID: ['RecordNumber'],
};

/** Winlogbeat `winlog.*` keys → Sigma System field names. */
export const WINLOGBEAT_SYSTEM: Readonly<Record<string, string>> = {
  channel: 'Channel',
  event_id: 'EventID',
  provider_name: 'Provider_Name',
  provider_guid: 'Provider_Guid',
  computer_name: 'Computer',
  record_id: 'EventRecordID',
  task: 'Task',
  opcode: 'Opcode',
  version: 'Version',
  'process.pid': 'Execution_ProcessID',
  'process.thread.id': 'Execution_ThreadID',
  'user.identifier': 'Security_UserID',
  keywords: 'Keywords',
};

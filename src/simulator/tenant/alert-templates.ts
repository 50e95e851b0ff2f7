/**
 * Alert kinds the simulator raises (docs/mde-api.md#alerts): title, category, detection source, severity and
 * MITRE techniques, and which evidence entities each carries.
 */

export const EVIDENCE_TYPES = ['File', 'Process', 'User', 'Ip', 'Url', 'Registry'] as const;
export type EvidenceType = (typeof EVIDENCE_TYPES)[number];

export interface AlertTemplate {
  title: string;
  description: string;
  category: string;
  detectionSource: string;
  detectorId: string;
  severity: 'Informational' | 'Low' | 'Medium' | 'High';
  mitreTechniques: readonly string[];
  threatFamilyName: string | null;
  threatName: string | null;
  evidence: readonly EvidenceType[];
  /** Alerts that only make sense on Windows. */
  windowsOnly: boolean;
}

export const ALERT_TEMPLATES: readonly AlertTemplate[] = [
  {
    title: 'Low-reputation arbitrary code executed by signed executable',
    description:
      'Binaries signed by Microsoft can be used to run low-reputation arbitrary code. This technique hides the execution of malicious code within a trusted process.',
    category: 'Execution',
    detectionSource: 'WindowsDefenderAtp',
    detectorId: '17e10bbc-3a68-474a-8aad-faef14d43952',
    severity: 'Low',
    mitreTechniques: ['T1064', 'T1085', 'T1220'],
    threatFamilyName: null,
    threatName: null,
    evidence: ['User', 'Process', 'File'],
    windowsOnly: true,
  },
  {
    title: "Suspicious 'Meterpreter' behavior was detected",
    description:
      'Malware and unwanted software are undesirable applications that perform annoying, disruptive, or harmful actions on affected machines.',
    category: 'SuspiciousActivity',
    detectionSource: 'WindowsDefenderAv',
    detectorId: 'b1f0f4a2-6c2b-4d9e-9d0e-3f3c2d1a7e11',
    severity: 'Low',
    mitreTechniques: ['T1059', 'T1105'],
    threatFamilyName: 'Meterpreter',
    threatName: 'Behavior:Win32/Meterpreter.gen!A',
    evidence: ['File', 'Process'],
    windowsOnly: true,
  },
  {
    title: 'Suspicious PowerShell command line',
    description:
      'A suspicious PowerShell activity was observed on the device. This activity is often used by attackers to download and run malicious code.',
    category: 'Execution',
    detectionSource: 'WindowsDefenderAtp',
    detectorId: '2b8b1d5e-5b8e-4a6f-9f43-0f4b8c1d2e33',
    severity: 'Medium',
    mitreTechniques: ['T1059.001', 'T1105'],
    threatFamilyName: null,
    threatName: null,
    evidence: ['Process', 'User', 'Url'],
    windowsOnly: true,
  },
  {
    title: 'Connection to a custom network indicator',
    description:
      'An endpoint connected to a URL or domain that your organization added to its custom indicators.',
    category: 'CommandAndControl',
    detectionSource: 'CustomTI',
    detectorId: '8e5a7c11-0d1e-4a73-9b0c-6d7e8f9a0b44',
    severity: 'Informational',
    mitreTechniques: ['T1071'],
    threatFamilyName: null,
    threatName: null,
    evidence: ['Ip', 'Url', 'Process'],
    windowsOnly: false,
  },
  {
    title: 'Suspicious registry modification for persistence',
    description:
      'A process changed a registry key that runs programs at logon, a common way to survive reboots.',
    category: 'Persistence',
    detectionSource: 'WindowsDefenderAtp',
    detectorId: 'c4d5e6f7-1a2b-4c3d-8e9f-0a1b2c3d4e55',
    severity: 'Medium',
    mitreTechniques: ['T1547.001'],
    threatFamilyName: null,
    threatName: null,
    evidence: ['Registry', 'Process'],
    windowsOnly: true,
  },
  {
    title: "'Mimikatz' credential theft tool",
    description:
      'The credential theft tool Mimikatz was detected on this device. Attackers use it to harvest passwords from memory.',
    category: 'CredentialAccess',
    detectionSource: 'WindowsDefenderAv',
    detectorId: 'd1e2f3a4-5b6c-4d7e-8f90-1a2b3c4d5e66',
    severity: 'High',
    mitreTechniques: ['T1003.001'],
    threatFamilyName: 'Mimikatz',
    threatName: 'HackTool:Win32/Mimikatz.D',
    evidence: ['File', 'Process', 'User'],
    windowsOnly: true,
  },
  {
    title: 'Ransomware behavior detected in the file system',
    description:
      'A process renamed and encrypted many files in a short time, a pattern typical of ransomware.',
    category: 'Ransomware',
    detectionSource: 'WindowsDefenderAtp',
    detectorId: 'e2f3a4b5-6c7d-4e8f-9a01-2b3c4d5e6f77',
    severity: 'High',
    mitreTechniques: ['T1486', 'T1490'],
    threatFamilyName: null,
    threatName: null,
    evidence: ['File', 'Process', 'User'],
    windowsOnly: false,
  },
  {
    title: 'Possible exploitation of a browser vulnerability',
    description:
      'A browser process behaved in a way that suggests a memory corruption exploit followed by code execution.',
    category: 'Exploit',
    detectionSource: 'WindowsDefenderAtp',
    detectorId: 'f3a4b5c6-7d8e-4f90-a1b2-3c4d5e6f7a88',
    severity: 'Medium',
    mitreTechniques: ['T1189', 'T1203'],
    threatFamilyName: null,
    threatName: null,
    evidence: ['Url', 'Process'],
    windowsOnly: false,
  },
  {
    title: "An active 'Wacatac' malware was detected",
    description:
      'Malware was found running on the device. Active malware detections are assigned higher severity ratings.',
    category: 'Malware',
    detectionSource: 'WindowsDefenderAv',
    detectorId: 'a4b5c6d7-8e9f-4a01-b2c3-4d5e6f7a8b99',
    severity: 'Medium',
    mitreTechniques: [],
    threatFamilyName: 'Wacatac',
    threatName: 'Trojan:Win32/Wacatac.H!ml',
    evidence: ['File'],
    windowsOnly: true,
  },
  {
    title: 'Suspicious connection to a known malicious IP address',
    description:
      'A process connected to an IP address that Microsoft threat intelligence associates with command-and-control servers.',
    category: 'CommandAndControl',
    detectionSource: 'WindowsDefenderAtp',
    detectorId: 'b5c6d7e8-9f0a-4b12-c3d4-5e6f7a8b9c00',
    severity: 'Low',
    mitreTechniques: ['T1071.001'],
    threatFamilyName: null,
    threatName: null,
    evidence: ['Ip', 'Url'],
    windowsOnly: false,
  },
  {
    title: 'Suspicious shell script launched',
    description:
      'A shell script with suspicious characteristics was launched, possibly to download and run a payload.',
    category: 'Execution',
    detectionSource: 'WindowsDefenderAtp',
    detectorId: 'c6d7e8f9-0a1b-4c23-d4e5-6f7a8b9c0d11',
    severity: 'Low',
    mitreTechniques: ['T1059.004'],
    threatFamilyName: null,
    threatName: null,
    evidence: ['Process', 'File'],
    windowsOnly: false,
  },
  {
    title: 'Unexpected behavior observed by a process run with no command line arguments',
    description:
      'A process that normally runs with arguments ran without any and then made network connections, a sign of process hollowing.',
    category: 'DefenseEvasion',
    detectionSource: 'WindowsDefenderAtp',
    detectorId: 'd7e8f9a0-1b2c-4d34-e5f6-7a8b9c0d1e22',
    severity: 'Medium',
    mitreTechniques: ['T1055'],
    threatFamilyName: null,
    threatName: null,
    evidence: ['Process', 'Ip'],
    windowsOnly: true,
  },
];

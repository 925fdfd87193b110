import { describe, expect, it } from 'vitest';
import { byRule, countBy, scan } from '../helpers/scan.js';
import { requireSharedData, shared } from '../helpers/shared-data.js';

describe.runIf(requireSharedData())('vigil scan on real Linux, web and network logs', () => {
  it('flags the OpenSSH brute force: 520 failed passwords from 23 sources, 286 from 183.62.140.253', async () => {
    for (const file of ['loghub_2k/OpenSSH/OpenSSH_2k.log', 'loghub_2k_corrected/OpenSSH/OpenSSH_2k.log']) {
      const report = await scan([shared('loghub', file)]);
      expect(report.summary.failures).toBe(0);
      expect(report.summary.events).toBe(2000);
      const failed = byRule(report, 'SSH Password Authentication Failed');
      expect(failed).toHaveLength(520);
      const sources = countBy(failed, 'source.ip');
      expect(sources.size).toBe(23);
      expect(sources.get('183.62.140.253')).toBe(286);
      const top = report.summary.byRule.find((r) => r.title === 'SSH Password Authentication Failed')!;
      expect(top.top['source.ip']![0]).toEqual(['183.62.140.253', 286]);
      expect(byRule(report, 'SSH Login Attempt for a Non-Existent User').length).toBe(113);
    }
  });

  it('flags the Tomcat manager brute force, the WAR upload and the JSP web shell', async () => {
    const report = await scan([shared('network-host-logs/web/tomcat_access_log_web_attack_webshell.txt')]);
    expect(report.summary.files[0]!.format).toBe('access-log');
    expect(report.summary.events).toBe(2661);
    const authFailures = byRule(report, 'Tomcat Manager Authentication Failure');
    expect(authFailures).toHaveLength(8);
    const deploys = byRule(report, 'Application Deployed Through the Tomcat Manager');
    expect([...countBy(deploys, 'source.ip')]).toEqual([['192.168.105.76', 4]]);
    const shell = byRule(report, 'Request to a Web Shell');
    expect(shell).toHaveLength(21);
    expect(new Set(shell.map((d) => d.vigil.match.fields['cs-uri-stem']))).toEqual(
      new Set(['/error/cmd.jsp']),
    );
    expect([...countBy(shell, 'source.ip')]).toEqual([['192.168.105.76', 21]]);
    // The deploy comes before the first web shell request.
    const firstShell = shell.map((d) => d['@timestamp']!).sort()[0]!;
    expect(deploys.some((d) => d['@timestamp']! < firstShell)).toBe(true);
  });

  it('flags the Tunna HTTP tunnel in the IIS log', async () => {
    const report = await scan([shared('network-host-logs/web/iis_w3svc_tunna_tunnel.log')]);
    expect(report.summary.files[0]!.format).toBe('w3c');
    const tunnel = byRule(report, 'HTTP Tunnelling Web Shell (Tunna, reGeorg)');
    expect(tunnel).toHaveLength(3);
    expect(tunnel.every((d) => d.vigil.match.fields['cs-uri-query'] === 'proxy&port=3389&ip=127.0.0.1')).toBe(
      true,
    );
    expect([...countBy(tunnel, 'source.ip')]).toEqual([['10.0.2.17', 3]]);
  });

  it('runs SigmaHQ Zeek rules with the same matches on Zeek TSV and JSON', async () => {
    const rules = [shared('sigma/rules/network/zeek')];
    const tsv = await scan([shared('network-host-logs/zeek-wrccdc2018/zeek-default')], {
      rules,
      defaultRules: false,
    });
    const json = await scan([shared('network-host-logs/zeek-wrccdc2018/zeek-json')], {
      rules,
      defaultRules: false,
    });
    const key = (d: (typeof tsv.detections)[number]) =>
      `${d.rule.id} ${d.log.file.path.split('/').pop()!.split('.')[0]} #${d.vigil.event_index} ${d['@timestamp']}`;
    expect(tsv.detections.length).toBeGreaterThan(0);
    expect(tsv.detections.map(key).sort()).toEqual(json.detections.map(key).sort());
    expect(tsv.summary.failures).toBe(0);
    expect(json.summary.failures).toBe(0);
  });

  it('decodes Suricata EVE to ECS', async () => {
    const report = await scan([shared('network-host-logs/suricata/eve_surevego.json')]);
    expect(report.summary.events).toBe(266);
    expect(report.summary.failures).toBe(0);
  });
});

// An SMSC simulator that Kannel reaches over SMPP, built on the npm `smpp`
// package: it binds Kannel, answers each submit_sm (accepting it, or
// rejecting it with an SMPP error), and for accepted messages sends a
// delivery receipt (deliver_sm, "stat:DELIVRD", "stat:UNDELIV", ...) a moment
// later, the way carriers' SMSCs do.
import smpp from 'smpp';

/**
 * Starts the simulator on 127.0.0.1 (a free port). decide(destination)
 * returns {reject: SMPP error code} or {stat: 'DELIVRD'|'UNDELIV'|'EXPIRED'|
 * 'REJECTD', err: '000'}. Returns {port, submitted: [{to, from, text, id}], close()}.
 */
export async function startSmppSim(decide) {
  const submitted = [];
  const sessions = new Set();
  let next = 1000;
  const server = smpp.createServer({ debug: false }, (session) => {
    sessions.add(session);
    session.on('error', () => {});
    session.on('close', () => sessions.delete(session));
    session.on('bind_transceiver', (pdu) => {
      const ok = pdu.system_id === 'kannel' && pdu.password === 'simpass';
      session.send(pdu.response(ok ? {} : { command_status: smpp.ESME_RBINDFAIL }));
    });
    session.on('enquire_link', (pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu) => {
      const to = pdu.destination_addr;
      const sm = pdu.short_message;
      const text = typeof sm === 'string' ? sm : sm?.message ?? '';
      const d = decide(to) ?? { stat: 'DELIVRD' };
      if (d.reject) {
        submitted.push({ to, from: pdu.source_addr, text, rejected: d.reject });
        session.send(pdu.response({ command_status: d.reject }));
        return;
      }
      const id = String(next++);
      submitted.push({ to, from: pdu.source_addr, text, id });
      session.send(pdu.response({ message_id: id }));
      const now = '2611270400';
      const receipt = `id:${id} sub:001 dlvrd:${d.stat === 'DELIVRD' ? '001' : '000'} submit date:${now} done date:${now} stat:${d.stat} err:${d.err ?? '000'} text:`;
      setTimeout(() => {
        if (session.closed) return;
        session.deliver_sm({
          source_addr: to,
          destination_addr: pdu.source_addr,
          esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
          short_message: receipt,
          receipted_message_id: id,
        });
      }, 20);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    submitted,
    async close() {
      for (const s of sessions) s.destroy?.() ?? s.close();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

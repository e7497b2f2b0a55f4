# The community.docker.nsenter connection with pipelining switched on: the plugin already feeds in_data to the
# command's stdin (communicate(in_data)), so a module can be piped into the interpreter instead of being copied
# to a temporary file first. That cuts the process spawns per task by about three, which matters on a loaded CI
# machine. Everything else is the collection's plugin.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = '''
name: nsenter_pipelined
short_description: community.docker.nsenter with pipelining
description:
  - Same as community.docker.nsenter (execute on the host of the process ansible_nsenter_pid), with pipelining.
author: mqgateway tests
options:
  nsenter_pid:
    description: PID to attach with using nsenter.
    type: int
    default: 0
    vars:
      - name: ansible_nsenter_pid
    env:
      - name: ANSIBLE_NSENTER_PID
    ini:
      - section: nsenter_connection
        key: nsenter_pid
'''

from ansible_collections.community.docker.plugins.connection.nsenter import Connection as NsenterConnection


class Connection(NsenterConnection):
    transport = 'nsenter_pipelined'
    has_pipelining = True
